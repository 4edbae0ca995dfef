package docfmt

import (
	"regexp"
	"strings"
)

// AllowedASCII are the ASCII words a zh-CN document may contain: units,
// standard abbreviations and product names that have no Chinese wording in
// use. Tests of zh-CN documents call ASCIIWords(body, <entity names>…) and
// expect nothing back.
var AllowedASCII = []string{
	// Units.
	"%", "°C", "RH", "kW", "W", "kWh", "V", "A", "Hz", "ms", "s", "Mbit", "Gbit", "Mbit/s", "Gbit/s", "GB", "TB", "kVA",
	// Abbreviations and protocols.
	"UPS", "BGP", "CPU", "SNMP", "PDU", "IP", "IPv4", "IPv6", "URL", "HTTP", "HTTPS", "HTTP(S)", "ICMP", "TCP", "TLS", "DNS",
	"MTTR", "P95", "P99", "SHA-256", "CRAC", "N", "2N", "N+1", "ID", "CSV", "PDF", "XLSX", "JSON", "UTC",
	// Products.
	"PromQL", "Prometheus", "VictoriaMetrics", "Grafana", "Alertmanager", "jianguan",
}

var (
	urlRE  = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s\p{Han}（）()，。、；]+`)
	wordRE = regexp.MustCompile(`°?[A-Za-z0-9]+(?:[-_.+/][A-Za-z0-9]+)*(?:\(S\)|\+)?`)
	numRE  = regexp.MustCompile(`^[0-9]+(?:\.[0-9]+)*(.*)$`)
)

// ASCIIWords returns, once each and in order of appearance, the ASCII
// words of text that are neither in AllowedASCII nor in extra (the names of
// the document's entities: host names, line names). URLs (scheme://…) are
// data and skipped; pure numbers are not words; a number glued to a unit is
// checked as the unit ("4kW" → "kW", "200Mbit/s" → "Mbit/s").
func ASCIIWords(text string, extra ...string) []string {
	allowed := make(map[string]bool, len(AllowedASCII)+len(extra))
	for _, w := range AllowedASCII {
		allowed[w] = true
	}
	for _, w := range extra {
		allowed[w] = true
	}
	text = urlRE.ReplaceAllString(text, " ")
	var out []string
	seen := map[string]bool{}
	for _, w := range wordRE.FindAllString(text, -1) {
		if allowed[w] || !strings.ContainsAny(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
			continue
		}
		if m := numRE.FindStringSubmatch(w); m != nil {
			unit := strings.TrimLeft(m[1], "-_./+")
			if allowed[unit] || unit == "" {
				continue
			}
		}
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}
