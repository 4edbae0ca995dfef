package report

import "testing"

// The print-only rule goes where it neither changes the document's mode
// (after the doctype: before it, Chromium would render in quirks mode) nor
// leaves the head.
func TestPrintOnly(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"doctype", "<!DOCTYPE html><html><body>x", "<!DOCTYPE html>" + hideOnScreen + "<html><body>x"},
		{"lower case, spaces before", "\n <!doctype html>\n<html>", "\n <!doctype html>" + hideOnScreen + "\n<html>"},
		{"byte order mark", "\ufeff<!DOCTYPE html><p>", "\ufeff<!DOCTYPE html>" + hideOnScreen + "<p>"},
		{"no doctype", "<html><body>x", hideOnScreen + "<html><body>x"},
		{"doctype without end", "<!DOCTYPE html", hideOnScreen + "<!DOCTYPE html"},
		{"empty", "", hideOnScreen},
	} {
		if got := string(printOnly([]byte(c.in))); got != c.want {
			t.Errorf("%s: printOnly(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}
