// Package docfmt is how a document for 甲方 writes things: dates and date
// ranges, durations, percentages, numbers, heading numbers, the official
// wording of every code the reports use, and the identification block
// (cover and sign-off) configuration. Everything is a pure function of its
// arguments; zh-CN is the default language and English a separate choice —
// one document never mixes them.
//
// Times are written in calendar.Zone (Asia/Shanghai) whatever their location.
package docfmt

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jianguan/jianguan/internal/calendar"
)

// Lang is a document language.
type Lang string

// Languages.
const (
	ZH Lang = "zh-CN"
	EN Lang = "en"
)

// ParseLang accepts "zh-CN" (also "zh") and "en".
func ParseLang(s string) (Lang, error) {
	switch s {
	case "zh-CN", "zh", "zh-Hans", "zh-cn":
		return ZH, nil
	case "en", "en-GB", "en-US":
		return EN, nil
	}
	return "", fmt.Errorf("language %q: want zh-CN or en", s)
}

// MaxDurationSeconds bounds what Duration writes (about 31 700 years; the
// integer arithmetic stays exact far below int64 overflow).
const MaxDurationSeconds = 1e12

// Placeholder is written where a figure does not exist (NaN, no data).
const Placeholder = "—"

var monthsEN = [...]string{"", "January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}

// Date writes the calendar date of t: 2026年12月4日 / 4 December 2026.
func Date(t time.Time, lang Lang) string {
	l := t.In(calendar.Zone)
	if lang == EN {
		return fmt.Sprintf("%d %s %d", l.Day(), monthsEN[l.Month()], l.Year())
	}
	return fmt.Sprintf("%d年%d月%d日", l.Year(), l.Month(), l.Day())
}

// DateTime writes an incident time to the second: 2026年11月3日 14:05:09 /
// 3 November 2026 14:05:09 (Beijing time; a document states its zone once).
func DateTime(t time.Time, lang Lang) string {
	return Date(t, lang) + " " + t.In(calendar.Zone).Format("15:04:05")
}

// DateRange writes the whole days [start, endExclusive) with the last day
// inclusive, as documents do:
//
//	2026年11月1日至11月30日          (same year: the year is not repeated)
//	2025年12月1日至2026年11月30日
//	2026年11月1日                    (one day)
//	1 November 2026 – 30 November 2026 (English: both dates in full)
//
// An empty or reversed range is written as a visible marker, never as a
// plausible date.
func DateRange(start, endExclusive time.Time, lang Lang) string {
	first := calendar.DateOf(start)
	if !endExclusive.After(start) {
		if lang == EN {
			return "(empty date range)"
		}
		return "（空日期范围）"
	}
	last := calendar.DateOf(endExclusive.Add(-time.Nanosecond))
	if last.Equal(first) {
		return Date(first, lang)
	}
	if lang == EN {
		return Date(first, lang) + " – " + Date(last, lang)
	}
	if first.Year() == last.Year() {
		return Date(first, lang) + "至" + fmt.Sprintf("%d月%d日", last.Month(), last.Day())
	}
	return Date(first, lang) + "至" + Date(last, lang)
}

var quartersZH = [...]string{"", "第一季度", "第二季度", "第三季度", "第四季度"}

// PeriodLabel names a report period: 2026年11月 / November 2026,
// 2026年第四季度 / Q4 2026, 2026年 / 2026, a day as Date, an ISO week with its
// dates, the service period and ranges with their dates.
func PeriodLabel(p calendar.Period, lang Lang) string {
	s := p.Start.In(calendar.Zone)
	dates := DateRange(p.Start, p.End, lang)
	if lang == EN {
		switch p.Kind {
		case calendar.KindDay:
			return dates
		case calendar.KindWeek:
			y, w := s.ISOWeek()
			return fmt.Sprintf("week %d of %d (%s)", w, y, dates)
		case calendar.KindMonth:
			return fmt.Sprintf("%s %d", monthsEN[s.Month()], s.Year())
		case calendar.KindQuarter:
			return fmt.Sprintf("Q%d %d", (int(s.Month())-1)/3+1, s.Year())
		case calendar.KindYear:
			return strconv.Itoa(s.Year())
		case calendar.KindService:
			return "service period (" + dates + ")"
		}
		return dates
	}
	switch p.Kind {
	case calendar.KindDay, calendar.KindMonth, calendar.KindQuarter, calendar.KindYear:
		return p.Label()
	case calendar.KindWeek:
		return p.Label() + "（" + dates + "）"
	case calendar.KindService:
		return "服务期（" + dates + "）"
	}
	return dates
}

// Duration writes a duration rounded to the second:
//
//	45秒 / 45 s                        (under a minute)
//	39分00秒 / 39 min 00 s
//	2小时03分05秒 / 2 h 03 min 05 s
//	3天02小时00分00秒 / 3 d 02 h 00 min 00 s   (a day or more: days, never 74小时)
//
// NaN, ±Inf and magnitudes above MaxDurationSeconds are written as
// Placeholder; a negative duration gets a leading "-" (it is a bug
// upstream, shown rather than hidden).
func Duration(seconds float64, lang Lang) string {
	if math.IsNaN(seconds) || math.IsInf(seconds, 0) || math.Abs(seconds) > MaxDurationSeconds {
		return Placeholder
	}
	sign := ""
	if seconds < 0 {
		sign, seconds = "-", -seconds
	}
	s := int64(math.Round(seconds))
	return sign + dhms(s/86400, s%86400/3600, s%3600/60, strconv.FormatInt(s%60, 10), s, lang)
}

// DurationPrecise is Duration keeping decimals (1..3) digits of the
// seconds: 0.4秒 / 0.4 s, 1分05.25秒. Use it only where sub-second matters
// (counter arithmetic in an audit appendix).
func DurationPrecise(seconds float64, decimals int, lang Lang) string {
	if math.IsNaN(seconds) || math.IsInf(seconds, 0) || math.Abs(seconds) > MaxDurationSeconds {
		return Placeholder
	}
	if decimals < 1 || decimals > 3 {
		decimals = min(max(decimals, 1), 3)
	}
	sign := ""
	if seconds < 0 {
		sign, seconds = "-", -seconds
	}
	scale := math.Pow10(decimals)
	units := int64(math.Round(seconds * scale)) // in 10^-decimals s
	whole := units / int64(scale)
	frac := units % int64(scale)
	sec := fmt.Sprintf("%d.%0*d", whole%60, decimals, frac)
	if whole >= 60 && whole%60 < 10 {
		sec = "0" + sec
	}
	return sign + dhms(whole/86400, whole%86400/3600, whole%3600/60, sec, whole, lang)
}

// dhms joins the parts; sec is the already formatted seconds field
// (unpadded); total decides which fields appear.
func dhms(d, h, m int64, sec string, total int64, lang Lang) string {
	pad := func(x int64) string { return fmt.Sprintf("%02d", x) }
	padSec := sec
	if total >= 60 && len(sec) == 1 {
		padSec = "0" + sec
	}
	if lang == EN {
		switch {
		case total >= 86400:
			return fmt.Sprintf("%d d %s h %s min %s s", d, pad(h), pad(m), padSec)
		case total >= 3600:
			return fmt.Sprintf("%d h %s min %s s", h, pad(m), padSec)
		case total >= 60:
			return fmt.Sprintf("%d min %s s", m, padSec)
		}
		return sec + " s"
	}
	switch {
	case total >= 86400:
		return fmt.Sprintf("%d天%s小时%s分%s秒", d, pad(h), pad(m), padSec)
	case total >= 3600:
		return fmt.Sprintf("%d小时%s分%s秒", h, pad(m), padSec)
	case total >= 60:
		return fmt.Sprintf("%d分%s秒", m, padSec)
	}
	return sec + "秒"
}

// Percent writes a ratio as a percentage with fixed decimals (0..6),
// rounded half away from zero: Percent(0.5, 1) = "50.0 %". The same in both
// languages (a space before %, as the project's documents write it).
func Percent(ratio float64, decimals int) string {
	if math.IsNaN(ratio) || math.IsInf(ratio, 0) {
		return Placeholder
	}
	decimals = min(max(decimals, 0), 6)
	return strconv.FormatFloat(roundHalfAway(ratio*100, decimals), 'f', decimals, 64) + " %"
}

// Availability writes an availability ratio as a percentage with fixed
// decimals (0..6), rounded DOWN so that a figure never reads as meeting a
// target it missed: 0.99989999 with 2 decimals is "99.98 %", not "99.99 %".
// Binary noise is absorbed first (0.9999 is "99.99 %", although 0.9999·100
// is 99.98999… in float64). A NaN (no observed time) is Placeholder.
func Availability(ratio float64, decimals int) string {
	if math.IsNaN(ratio) || math.IsInf(ratio, 0) {
		return Placeholder
	}
	decimals = min(max(decimals, 0), 6)
	// Round to decimals+4 digits (noise), then truncate to decimals.
	s := strconv.FormatFloat(ratio*100, 'f', decimals+4, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	cut := len(s) - 4
	if decimals == 0 {
		cut-- // drop the point too
	}
	s = s[:cut]
	if neg {
		// Rounding down a negative value moves away from zero; availability
		// is never negative, so just mark it.
		s = "-" + s
	}
	return s + " %"
}

func roundHalfAway(x float64, decimals int) float64 {
	p := math.Pow10(decimals)
	return math.Round(x*p) / p
}

// Number writes x with fixed decimals (0..6). English groups thousands
// with commas (1,234,567.89); zh-CN documents write digits ungrouped
// (1234567.89), as Chinese official documents do.
func Number(x float64, decimals int, lang Lang) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return Placeholder
	}
	decimals = min(max(decimals, 0), 6)
	s := strconv.FormatFloat(roundHalfAway(x, decimals), 'f', decimals, 64)
	if lang != EN {
		return s
	}
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		return sign + b.String() + "." + frac
	}
	return sign + b.String()
}

// Count writes a count with its English noun in the right number:
// Count(1, "alarm", "alarms") is "1 alarm", Count(0, …) and Count(2, …)
// are "0 alarms" and "2 alarms". Every English sentence of a document that
// counts something writes it through Count (or Noun), never "%d alarms".
// zh-CN has no plural: its sentences keep their measure words (告警 3 次).
func Count(n int, one, many string) string {
	return strconv.Itoa(n) + " " + Noun(n, one, many)
}

// Noun is the noun of Count alone, for a count written elsewhere in the
// sentence (a formatted figure): one when n is 1 or −1, else many.
func Noun(n int, one, many string) string {
	if n == 1 || n == -1 {
		return one
	}
	return many
}

// pluralRE finds a count of one followed by a plural noun or verb ("1
// alarms", "1 entities have", "1 more are") in English text; a number
// continued by a digit, a decimal point or a thousands comma is not one.
var pluralRE = regexp.MustCompile(`(?:^|[^0-9.,])(1 (?:more |[a-z][a-z-]* )?(?:[a-z][a-z-]*[a-z]s|are|were|have)\b)`)

// singularOK are words ending in s that are not plurals after a count of
// one (units and verbs: "1 bps" is written by no document, but "1 is" or
// "1 has" may be).
var singularOK = map[string]bool{"is": true, "was": true, "has": true, "this": true, "its": true, "plus": true, "across": true, "as": true, "us": true, "versus": true, "bps": true, "ms": true}

// PluralErrors are the places of text where a count of one is followed by
// a plural ("1 alarms"): what Count prevents, for a test to search a whole
// rendered English document with.
func PluralErrors(text string) []string {
	var out []string
	for _, m := range pluralRE.FindAllStringSubmatch(text, -1) {
		words := strings.Fields(m[1])
		if singularOK[words[len(words)-1]] {
			continue
		}
		out = append(out, m[1])
	}
	return out
}
