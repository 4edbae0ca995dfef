package docfmt

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// NaturalLess orders names as people read them: runs of ASCII digits
// compare by numeric value (host-2 before host-10, 机柜3 before 机柜12),
// everything else by Unicode code point, run by run. CJK characters thus
// sort by code point (not by pinyin or stroke count): stable and
// reproducible, which is what a table in a monthly report needs. Ties
// (host-02 vs host-2) break by fewer leading zeros first, then bytewise,
// so the order is total.
func NaturalLess(a, b string) bool {
	if c := naturalCompare(a, b); c != 0 {
		return c < 0
	}
	return a < b
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func naturalCompare(a, b string) int {
	i, j := 0, 0
	zeros := 0 // first leading-zero difference, as a tie-break
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			si := i
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			sj := j
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na := strings.TrimLeft(a[si:i], "0")
			nb := strings.TrimLeft(b[sj:j], "0")
			if len(na) != len(nb) {
				return cmpInt(len(na), len(nb))
			}
			if na != nb {
				return strings.Compare(na, nb)
			}
			if zeros == 0 {
				zeros = cmpInt(i-si, j-sj)
			}
			continue
		}
		// Compare one rune (UTF-8 byte order equals code point order).
		ra, wa := decode(a[i:])
		rb, wb := decode(b[j:])
		if ra != rb {
			return cmpInt(int(ra), int(rb))
		}
		i += wa
		j += wb
	}
	switch {
	case i < len(a):
		return 1
	case j < len(b):
		return -1
	}
	return zeros
}

// decode reads one rune; an invalid byte reads as U+FFFD of width 1 (the
// bytewise tie-break in NaturalLess keeps the order total).
func decode(s string) (rune, int) { return utf8.DecodeRuneInString(s) }

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var digitsZH = [...]string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

// ChineseNumeral writes 1..999 in Chinese numerals as headings use them:
// 一 … 十, 十一, 二十, 九十九, 一百, 一百零一, 一百一十.
func ChineseNumeral(n int) (string, error) {
	if n < 1 || n > 999 {
		return "", fmt.Errorf("chinese numeral %d: want 1..999", n)
	}
	var b strings.Builder
	h, t, u := n/100, n/10%10, n%10
	if h > 0 {
		b.WriteString(digitsZH[h] + "百")
		if t == 0 && u > 0 {
			b.WriteString("零")
		}
	}
	if t > 0 {
		if !(t == 1 && h == 0) { // 十一, but 一百一十
			b.WriteString(digitsZH[t])
		}
		b.WriteString("十")
	}
	if u > 0 {
		b.WriteString(digitsZH[u])
	}
	return b.String(), nil
}

// HeadingNumber returns the number of the n-th heading (1-based) at a
// level, in the official-document sequence 一、 （一） 1. （1）:
//
//	level 1: 一、 二、 … 十一、   level 2: （一） （二） …
//	level 3: 1.  2. …              level 4: （1） （2） …
//
// Full-width parentheses, as GB/T 9704 documents write them.
func HeadingNumber(level, n int) (string, error) {
	if n < 1 || n > 999 {
		return "", fmt.Errorf("heading number %d: want 1..999", n)
	}
	switch level {
	case 1, 2:
		zh, err := ChineseNumeral(n)
		if err != nil {
			return "", err
		}
		if level == 1 {
			return zh + "、", nil
		}
		return "（" + zh + "）", nil
	case 3:
		return fmt.Sprintf("%d.", n), nil
	case 4:
		return fmt.Sprintf("（%d）", n), nil
	}
	return "", fmt.Errorf("heading level %d: want 1..4", level)
}
