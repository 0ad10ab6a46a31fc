package mfa

import (
	"slices"
	"testing"
)

// TestCombine: a second factor after a password or an upstream's sign-in
// makes the sign-in multi-factor; a first factor alone does not.
func TestCombine(t *testing.T) {
	for _, tt := range []struct {
		name      string
		amr, more []string
		want      []string
		level     string
	}{
		{"password and TOTP", []string{AMRPassword}, []string{AMROTP}, []string{AMRPassword, AMROTP, AMRMultiFactor}, ACRMultiFactor},
		{"upstream and TOTP", []string{AMRFederated}, []string{AMROTP}, []string{AMRFederated, AMROTP, AMRMultiFactor}, ACRMultiFactor},
		{"upstream and a passkey", []string{AMRFederated}, []string{AMRHardwareKey}, []string{AMRFederated, AMRHardwareKey, AMRMultiFactor}, ACRPhishingResistant},
		{"upstream alone", []string{AMRFederated}, nil, []string{AMRFederated}, ACRSingleFactor},
		{"the same factor twice", []string{AMROTP}, []string{AMROTP}, []string{AMROTP}, ACRSingleFactor},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Combine(tt.amr, tt.more...)
			if !slices.Equal(got, tt.want) || Level(got) != tt.level {
				t.Errorf("Combine = %v (%s), want %v (%s)", got, Level(got), tt.want, tt.level)
			}
		})
	}
}
