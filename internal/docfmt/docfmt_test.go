package docfmt

import (
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
)

func bj(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, calendar.Zone)
}

func TestDates(t *testing.T) {
	tests := []struct {
		name       string
		start, end time.Time
		zh, en     string
	}{
		{"month", bj(2026, 11, 1, 0, 0, 0), bj(2026, 12, 1, 0, 0, 0), "2026年11月1日至11月30日", "1 November 2026 – 30 November 2026"},
		{"service year", bj(2025, 12, 1, 0, 0, 0), bj(2026, 12, 1, 0, 0, 0), "2025年12月1日至2026年11月30日", "1 December 2025 – 30 November 2026"},
		{"one day", bj(2026, 11, 1, 0, 0, 0), bj(2026, 11, 2, 0, 0, 0), "2026年11月1日", "1 November 2026"},
		{"december", bj(2026, 12, 1, 0, 0, 0), bj(2027, 1, 1, 0, 0, 0), "2026年12月1日至12月31日", "1 December 2026 – 31 December 2026"},
		{"leap february", bj(2028, 2, 1, 0, 0, 0), bj(2028, 3, 1, 0, 0, 0), "2028年2月1日至2月29日", "1 February 2028 – 29 February 2028"},
		// UTC instants are written as Beijing dates.
		{"utc bounds", time.Date(2026, 10, 31, 16, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC), "2026年11月1日至11月30日", "1 November 2026 – 30 November 2026"},
		{"empty", bj(2026, 11, 1, 0, 0, 0), bj(2026, 11, 1, 0, 0, 0), "（空日期范围）", "(empty date range)"},
		{"reversed", bj(2026, 11, 2, 0, 0, 0), bj(2026, 11, 1, 0, 0, 0), "（空日期范围）", "(empty date range)"},
	}
	for _, tc := range tests {
		if got := DateRange(tc.start, tc.end, ZH); got != tc.zh {
			t.Errorf("%s zh: %q, want %q", tc.name, got, tc.zh)
		}
		if got := DateRange(tc.start, tc.end, EN); got != tc.en {
			t.Errorf("%s en: %q, want %q", tc.name, got, tc.en)
		}
	}
	if got := Date(time.Date(2026, 12, 3, 16, 0, 0, 0, time.UTC), ZH); got != "2026年12月4日" {
		t.Errorf("Date %q", got)
	}
	if got := Date(bj(2026, 12, 4, 0, 0, 0), EN); got != "4 December 2026" {
		t.Errorf("Date en %q", got)
	}
	if got := DateTime(time.Date(2026, 11, 3, 6, 5, 9, 0, time.UTC), ZH); got != "2026年11月3日 14:05:09" {
		t.Errorf("DateTime %q", got)
	}
	if got := DateTime(bj(2026, 11, 3, 14, 5, 9), EN); got != "3 November 2026 14:05:09" {
		t.Errorf("DateTime en %q", got)
	}
}

func TestPeriodLabel(t *testing.T) {
	svc, _ := calendar.NewService(bj(2025, 12, 1, 0, 0, 0), time.Time{})
	tests := []struct{ in, zh, en string }{
		{"2026-11", "2026年11月", "November 2026"},
		{"2026-Q4", "2026年第四季度", "Q4 2026"},
		{"2026", "2026年", "2026"},
		{"2026-11-03", "2026年11月3日", "3 November 2026"},
		{"2026-W48", "2026年第48周（2026年11月23日至11月29日）", "week 48 of 2026 (23 November 2026 – 29 November 2026)"},
		{"service", "服务期（2025年12月1日至2026年11月30日）", "service period (1 December 2025 – 30 November 2026)"},
		{"2026-11-01..2026-11-15", "2026年11月1日至11月15日", "1 November 2026 – 15 November 2026"},
		{"2026-12-25..2027-01-03", "2026年12月25日至2027年1月3日", "25 December 2026 – 3 January 2027"},
	}
	for _, tc := range tests {
		p, err := calendar.ParsePeriod(tc.in, &svc)
		if err != nil {
			t.Fatal(err)
		}
		if got := PeriodLabel(p, ZH); got != tc.zh {
			t.Errorf("%s zh %q, want %q", tc.in, got, tc.zh)
		}
		if got := PeriodLabel(p, EN); got != tc.en {
			t.Errorf("%s en %q, want %q", tc.in, got, tc.en)
		}
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		s      float64
		zh, en string
	}{
		{0, "0秒", "0 s"},
		{0.4, "0秒", "0 s"},
		{0.5, "1秒", "1 s"},
		{45, "45秒", "45 s"},
		{59.6, "1分00秒", "1 min 00 s"},
		{60, "1分00秒", "1 min 00 s"},
		{2340, "39分00秒", "39 min 00 s"},
		{259.2, "4分19秒", "4 min 19 s"},
		{3599.5, "1小时00分00秒", "1 h 00 min 00 s"},
		{7385, "2小时03分05秒", "2 h 03 min 05 s"},
		{86399, "23小时59分59秒", "23 h 59 min 59 s"},
		{86400, "1天00小时00分00秒", "1 d 00 h 00 min 00 s"},
		{3*86400 + 2*3600, "3天02小时00分00秒", "3 d 02 h 00 min 00 s"},
		{31 * 86400, "31天00小时00分00秒", "31 d 00 h 00 min 00 s"},
		{-5, "-5秒", "-5 s"},
		{math.NaN(), "—", "—"},
		{math.Inf(1), "—", "—"},
	}
	for _, tc := range tests {
		if got := Duration(tc.s, ZH); got != tc.zh {
			t.Errorf("Duration(%v) zh %q, want %q", tc.s, got, tc.zh)
		}
		if got := Duration(tc.s, EN); got != tc.en {
			t.Errorf("Duration(%v) en %q, want %q", tc.s, got, tc.en)
		}
	}
	precise := []struct {
		s      float64
		dec    int
		zh, en string
	}{
		{0.4, 1, "0.4秒", "0.4 s"},
		{0.04, 1, "0.0秒", "0.0 s"},
		{65.25, 2, "1分05.25秒", "1 min 05.25 s"},
		{3600.001, 3, "1小时00分00.001秒", "1 h 00 min 00.001 s"},
		{59.96, 1, "1分00.0秒", "1 min 00.0 s"},
		{12.345, 9, "12.345秒", "12.345 s"}, // decimals clamped to 3
	}
	for _, tc := range precise {
		if got := DurationPrecise(tc.s, tc.dec, ZH); got != tc.zh {
			t.Errorf("DurationPrecise(%v,%d) zh %q, want %q", tc.s, tc.dec, got, tc.zh)
		}
		if got := DurationPrecise(tc.s, tc.dec, EN); got != tc.en {
			t.Errorf("DurationPrecise(%v,%d) en %q, want %q", tc.s, tc.dec, got, tc.en)
		}
	}
}

func TestPercentAndNumber(t *testing.T) {
	tests := []struct {
		ratio      float64
		dec        int
		avail, pct string
	}{
		{0.999931, 4, "99.9931 %", "99.9931 %"},
		{0.9999, 2, "99.99 %", "99.99 %"},     // 0.9999·100 = 99.98999… in float64
		{0.99989999, 2, "99.98 %", "99.99 %"}, // availability never rounds up to the target
		{0.999999, 4, "99.9999 %", "99.9999 %"},
		{0.99999999, 4, "99.9999 %", "100.0000 %"},
		{1, 4, "100.0000 %", "100.0000 %"},
		{0, 2, "0.00 %", "0.00 %"},
		{0.5, 0, "50 %", "50 %"},
		{0.123456, 7, "12.345600 %", "12.345600 %"}, // decimals clamped to 6
		{math.NaN(), 4, "—", "—"},
	}
	for _, tc := range tests {
		if got := Availability(tc.ratio, tc.dec); got != tc.avail {
			t.Errorf("Availability(%v,%d) %q, want %q", tc.ratio, tc.dec, got, tc.avail)
		}
		if got := Percent(tc.ratio, tc.dec); got != tc.pct {
			t.Errorf("Percent(%v,%d) %q, want %q", tc.ratio, tc.dec, got, tc.pct)
		}
	}
	nums := []struct {
		x      float64
		dec    int
		zh, en string
	}{
		{1234567.891, 2, "1234567.89", "1,234,567.89"},
		{999, 0, "999", "999"},
		{1000, 0, "1000", "1,000"},
		{-1234.5, 1, "-1234.5", "-1,234.5"},
		{0.005, 2, "0.01", "0.01"},
		{106, 0, "106", "106"},
		{math.Inf(-1), 0, "—", "—"},
	}
	for _, tc := range nums {
		if got := Number(tc.x, tc.dec, ZH); got != tc.zh {
			t.Errorf("Number(%v) zh %q, want %q", tc.x, got, tc.zh)
		}
		if got := Number(tc.x, tc.dec, EN); got != tc.en {
			t.Errorf("Number(%v) en %q, want %q", tc.x, got, tc.en)
		}
	}
}

func TestNaturalLess(t *testing.T) {
	want := []string{
		"host-1", "host-2", "host-02", "host-10", "host-10a", "host-100",
		"rack9", "rack10",
		"机房A区", "机房B区", "机柜3", "机柜12", "第2机房", "第10机房", // 房 U+623F < 柜 U+67DC: code point, not pinyin
	}
	got := append([]string(nil), want...)
	// Scramble deterministically, then sort.
	sort.Slice(got, func(i, j int) bool { return got[i] > got[j] })
	sort.SliceStable(got, func(i, j int) bool { return NaturalLess(got[i], got[j]) })
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("natural order\n got %v\nwant %v", got, want)
	}
	pairs := []struct {
		a, b string
		less bool
	}{
		{"host-2", "host-10", true},
		{"host-10", "host-2", false},
		{"a", "a", false},
		{"", "a", true},
		{"a1", "a", false},
		{"x99999999999999999999999", "x100000000000000000000000", true}, // longer than int64
		{"\xff", "\xfe", false}, // invalid UTF-8: total order, no panic
		{"\xfe", "\xff", true},
	}
	for _, tc := range pairs {
		if got := NaturalLess(tc.a, tc.b); got != tc.less {
			t.Errorf("NaturalLess(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}

func TestHeadingNumber(t *testing.T) {
	tests := []struct {
		level, n int
		want     string
	}{
		{1, 1, "一、"}, {1, 10, "十、"}, {1, 11, "十一、"}, {1, 20, "二十、"}, {1, 21, "二十一、"}, {1, 99, "九十九、"},
		{1, 100, "一百、"}, {1, 101, "一百零一、"}, {1, 110, "一百一十、"}, {1, 999, "九百九十九、"},
		{2, 1, "（一）"}, {2, 12, "（十二）"},
		{3, 1, "1."}, {3, 42, "42."},
		{4, 3, "（3）"},
	}
	for _, tc := range tests {
		got, err := HeadingNumber(tc.level, tc.n)
		if err != nil || got != tc.want {
			t.Errorf("HeadingNumber(%d,%d) = %q, %v; want %q", tc.level, tc.n, got, err, tc.want)
		}
	}
	for _, bad := range [][2]int{{0, 1}, {5, 1}, {1, 0}, {1, 1000}, {3, -1}} {
		if _, err := HeadingNumber(bad[0], bad[1]); err == nil {
			t.Errorf("HeadingNumber(%d,%d) accepted", bad[0], bad[1])
		}
	}
}

func TestASCIIWords(t *testing.T) {
	tests := []struct {
		name, text string
		extra      []string
		want       string
	}{
		{"clean", "本月 UPS 电池供电 2 次，BGP 线路可用率 99.9931 %，机房温度 21–27 °C，湿度 ≤ 60 % RH，机柜 4kW，2N，N+1，MTTR 39分00秒，P95 时延 3 ms，SHA-256，PromQL 见附录。", nil, ""},
		{"english leaked", "本月线路 available，status met。", nil, "available status met"},
		{"urls are data", "网站 https://www.beijing.gov.cn/path?q=1 与 http://example.gov.cn 均正常。", nil, ""},
		{"entity names", "云主机 web-01 与 db-02 中断。", []string{"web-01"}, "db-02"},
		{"units glued", "带宽 200Mbit/s，功率 5kW，时长 15s。", nil, ""},
		{"code leaked", "状态 on_battery，原因 unknown。", nil, "on_battery unknown"},
		{"repeat once", "foo foo bar", nil, "foo bar"},
		{"numbers are not words", "2026年11月1日 14:05:09 99.99", nil, ""},
		{"http(s)", "HTTP(S) 探测", nil, ""},
	}
	for _, tc := range tests {
		if got := strings.Join(ASCIIWords(tc.text, tc.extra...), " "); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestParseLang(t *testing.T) {
	for in, want := range map[string]Lang{"zh-CN": ZH, "zh": ZH, "en": EN} {
		if got, err := ParseLang(in); err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := ParseLang("fr"); err == nil {
		t.Error("fr accepted")
	}
}

func TestCount_EnglishPlural(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{
		{0, "0 alarms"}, {1, "1 alarm"}, {2, "2 alarms"}, {-1, "-1 alarm"}, {11, "11 alarms"}, {21, "21 alarms"},
	} {
		if got := Count(c.n, "alarm", "alarms"); got != c.want {
			t.Errorf("Count(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := Noun(1, "entity has", "entities have"); got != "entity has" {
		t.Errorf("Noun(1) = %q", got)
	}
}

func TestPluralErrors(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"Power: 1 alarms; 2 alarms", []string{"1 alarms"}},
		{"1 entities have no target", []string{"1 entities have"}},
		{"the first 100, 1 more are not listed", []string{"1 more are"}},
		{"1 alarm in this period, 11 alarms, 21 alarms, 0.1 hosts, 2,1 items", nil},
		{"1 host had, 1 is, 1 has, 1 s, 1 ms", nil},
		{"1 alert was detected: 1 acknowledged", nil},
		{"1 abnormal items", []string{"1 abnormal items"}}, // the noun after an adjective: the adjective is not plural
	} {
		got := PluralErrors(c.text)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("PluralErrors(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}
