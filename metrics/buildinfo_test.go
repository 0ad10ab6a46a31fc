package metrics

import (
	"testing"

	"github.com/portcullis/portcullis/internal/buildinfo"
)

// TestBuildInfo checks that the registry carries portcullis_build_info at 1
// with the labels `portcullis version` prints (the stamped values are
// checked on a release binary by build/image's test).
func TestBuildInfo(t *testing.T) {
	mfs, err := New(nil).reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"version": buildinfo.Version(), "commit": buildinfo.Commit(), "go_version": buildinfo.GoVersion()}
	for _, mf := range mfs {
		if mf.GetName() != "portcullis_build_info" {
			continue
		}
		if n := len(mf.GetMetric()); n != 1 {
			t.Fatalf("portcullis_build_info has %d series, want 1", n)
		}
		m := mf.GetMetric()[0]
		if v := m.GetGauge().GetValue(); v != 1 {
			t.Errorf("portcullis_build_info = %v, want 1", v)
		}
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		for name, v := range want {
			if got[name] != v {
				t.Errorf("label %s = %q, want %q", name, got[name], v)
			}
		}
		return
	}
	t.Fatal("no portcullis_build_info in the registry")
}
