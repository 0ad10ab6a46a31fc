package keys

import (
	"bytes"
	"testing"
)

func TestRawECDSA(t *testing.T) {
	for _, tc := range []struct {
		name string
		der  []byte
		want []byte
	}{
		{name: "short integers are right-aligned", der: []byte{0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07},
			want: append(append(make([]byte, 31), 5), append(make([]byte, 31), 7)...)},
		{name: "a leading zero of a positive integer is dropped", der: append(append([]byte{0x30, 0x46, 0x02, 0x21, 0x00}, bytes.Repeat([]byte{0x80}, 32)...), append([]byte{0x02, 0x21, 0x00}, bytes.Repeat([]byte{0x81}, 32)...)...),
			want: append(bytes.Repeat([]byte{0x80}, 32), bytes.Repeat([]byte{0x81}, 32)...)},
		{name: "an integer wider than the curve", der: append([]byte{0x30, 0x26, 0x02, 0x21}, append(bytes.Repeat([]byte{1}, 33), 0x02, 0x01, 0x01)...)},
		{name: "not a sequence", der: []byte{0x02, 0x01, 0x01}},
		{name: "one integer", der: []byte{0x30, 0x03, 0x02, 0x01, 0x01}},
		{name: "trailing bytes", der: []byte{0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x07, 0x00}},
		{name: "empty", der: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rawECDSA(tc.der, 256)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("accepted: %x", got)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Fatalf("rawECDSA = %x, %v; want %x", got, err, tc.want)
			}
		})
	}
}
