package usage

import (
	"encoding/json"
	"testing"
	"time"
)

func TestLimitJSON(t *testing.T) {
	b, err := json.Marshal(Limit{Rate: 10, Period: time.Minute, Burst: 5})
	if err != nil || string(b) != `{"rate":10,"period":"1m0s","burst":5}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var l Limit
	if err := json.Unmarshal(b, &l); err != nil || l != (Limit{Rate: 10, Period: time.Minute, Burst: 5}) {
		t.Fatalf("Unmarshal = %+v, %v", l, err)
	}
	for _, bad := range []string{`{"rate":1,"period":"often"}`, `{"rate":1,"per":"1m"}`, `[]`} {
		if err := json.Unmarshal([]byte(bad), &l); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
}
