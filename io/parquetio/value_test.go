package parquetio

import (
	"math/big"
	"testing"
	"time"
)

func TestDecimalText(t *testing.T) {
	tests := []struct {
		unscaled int64
		scale    int32
		text     string
	}{
		{0, 0, "0"},
		{0, 2, "0.00"},
		{5, 2, "0.05"},
		{-5, 2, "-0.05"},
		{12345, 2, "123.45"},
		{-12345, 4, "-1.2345"},
		{100, 0, "100"},
		{9223372036854775807, 3, "9223372036854775.807"},
	}
	for _, tt := range tests {
		if got := formatDecimal(big.NewInt(tt.unscaled), tt.scale); got != tt.text {
			t.Errorf("formatDecimal(%d, %d) = %q, want %q", tt.unscaled, tt.scale, got, tt.text)
		}
		got, err := parseDecimal(tt.text, tt.scale)
		if err != nil || got.Int64() != tt.unscaled {
			t.Errorf("parseDecimal(%q, %d) = %v, %v, want %d", tt.text, tt.scale, got, err, tt.unscaled)
		}
	}
	for _, s := range []string{"", "-", "+", ".", "1.2.3", "1e3", "abc", "1.234", "-+1", " 1", "0x10"} {
		if x, err := parseDecimal(s, 2); err == nil {
			t.Errorf("parseDecimal(%q, 2) = %v, want an error", s, x)
		}
	}
	for s, want := range map[string]int64{"+1.5": 150, ".5": 50, "7": 700, "1.500": 150, "-0": 0} {
		if x, err := parseDecimal(s, 2); err != nil || x.Int64() != want {
			t.Errorf("parseDecimal(%q, 2) = %v, %v, want %d", s, x, err, want)
		}
	}
}

func TestTwosComplement(t *testing.T) {
	for _, n := range []int64{0, 1, -1, 127, 128, -128, -129, 255, 256, -32768, 1 << 40, -(1 << 40)} {
		x := big.NewInt(n)
		for _, size := range []int{0, 8, 11} {
			b, err := appendTwosComplement(x, size)
			if err != nil {
				t.Fatalf("appendTwosComplement(%d, %d): %v", n, size, err)
			}
			if size > 0 && len(b) != size {
				t.Errorf("appendTwosComplement(%d, %d) has %d bytes", n, size, len(b))
			}
			if got := twosComplement(b); got.Cmp(x) != 0 {
				t.Errorf("%d encoded in %d bytes as %x decodes to %v", n, size, b, got)
			}
		}
	}
	for _, n := range []int64{128, -129} {
		if _, err := appendTwosComplement(big.NewInt(n), 1); err == nil {
			t.Errorf("%d fit in one byte", n)
		}
	}
}

func TestInt96Time(t *testing.T) {
	for _, tm := range []time.Time{
		time.Unix(0, 0).UTC(),
		time.Date(2009, 3, 1, 0, 1, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(1582, 10, 15, 12, 0, 0, 1, time.UTC),
		time.Date(2262, 4, 12, 0, 0, 0, 0, time.UTC),
	} {
		if got := int96Time(timeInt96(tm)); !got.Equal(tm) {
			t.Errorf("%v came back as %v", tm, got)
		}
	}
}

func TestUUID(t *testing.T) {
	const s = "123e4567-e89b-12d3-a456-426614174000"
	b, err := parseUUID(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := formatUUID(b); got != s {
		t.Errorf("formatUUID = %q, want %q", got, s)
	}
	for _, bad := range []string{"", "123e4567", "zz3e4567-e89b-12d3-a456-426614174000"} {
		if _, err := parseUUID(bad); err == nil {
			t.Errorf("parseUUID(%q) succeeded", bad)
		}
	}
}
