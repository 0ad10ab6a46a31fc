package theme

import (
	"fmt"
	"math"
	"strconv"
)

// Color is an sRGB colour, 8 bits a channel.
type Color struct{ R, G, B uint8 }

// white is the text on accent-coloured buttons.
var white = Color{255, 255, 255}

// MinContrast is the contrast WCAG 2.2 AA asks of normal text (success
// criterion 1.4.3): button text on the primary colour must reach it.
const MinContrast = 4.5

// ParseColor reads #rgb or #rrggbb, case-insensitive.
func ParseColor(s string) (Color, error) {
	bad := fmt.Errorf("%q is not a colour: write #rgb or #rrggbb, such as #2457c5", s)
	if len(s) != 4 && len(s) != 7 || s[0] != '#' {
		return Color{}, bad
	}
	hex := s[1:]
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil {
		return Color{}, bad
	}
	return Color{uint8(v >> 16), uint8(v >> 8), uint8(v)}, nil
}

// String is c as #rrggbb.
func (c Color) String() string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// luminance is c's relative luminance (WCAG 2.2, "relative luminance").
func (c Color) luminance() float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

// Contrast is the contrast ratio of a and b, from 1 to 21 (WCAG 2.2,
// "contrast ratio").
func Contrast(a, b Color) float64 {
	la, lb := a.luminance(), b.luminance()
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

// mix is c moved toward to by share (0 to 1).
func (c Color) mix(to Color, share float64) Color {
	m := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + (float64(b)-float64(a))*share)) }
	return Color{m(c.R, to.R), m(c.G, to.G), m(c.B, to.B)}
}
