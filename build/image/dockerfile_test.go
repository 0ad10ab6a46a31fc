package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// TestDockerfileMatchesImage checks that the final stage of the Dockerfile
// at the repository's root gives the image build/image builds: the same
// user, volume, ports, entrypoint, default command and files.
func TestDockerfileMatchesImage(t *testing.T) {
	img, err := build([]byte("binary"), v1.Platform{OS: "linux", Architecture: "amd64"}, "v0", "c0")
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	final := finalStage(t, "../../Dockerfile")
	asJSON := func(v []string) string { b, _ := json.Marshal(v); return string(b) }
	var volumes []string
	for v := range cf.Config.Volumes {
		volumes = append(volumes, v)
	}
	var exposed []string
	for p := range cf.Config.ExposedPorts {
		exposed = append(exposed, p)
	}
	slices.Sort(exposed)
	for _, c := range []struct {
		name, instruction, want string
	}{
		{"user", "USER", cf.Config.User},
		{"volume", "VOLUME", strings.Join(volumes, " ")},
		{"ports", "EXPOSE", strings.Join(exposed, " ")},
		{"entrypoint", "ENTRYPOINT", asJSON(cf.Config.Entrypoint)},
		{"default command", "CMD", asJSON(cf.Config.Cmd)},
		{"binary", "COPY", "--from=build /out/portcullis " + binaryPath},
		{"data directory owned by the user", "COPY", fmt.Sprintf("--from=build --chown=%d:%d /out/data %s", uid, gid, dataDir)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !slices.Contains(final[c.instruction], c.want) {
				t.Errorf("Dockerfile's final stage has %s %q, want %s %s", c.instruction, final[c.instruction], c.instruction, c.want)
			}
		})
	}
	for _, in := range []string{"WORKDIR", "ENV"} {
		if final[in] != nil {
			t.Errorf("Dockerfile's final stage sets %s, which build/image does not", in)
		}
	}
}

// finalStage returns the arguments of each instruction after the last FROM,
// exec-form arrays in compact JSON.
func finalStage(t *testing.T, path string) map[string][]string {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var stage map[string][]string
	for line := range strings.Lines(strings.ReplaceAll(string(doc), "\\\n", " ")) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		in, args, _ := strings.Cut(line, " ")
		if in = strings.ToUpper(in); in == "FROM" {
			stage = map[string][]string{}
			continue
		}
		args = strings.TrimSpace(args)
		var exec []string // exec form, compared as build/image's JSON
		if json.Unmarshal([]byte(args), &exec) == nil {
			b, _ := json.Marshal(exec)
			args = string(b)
		}
		stage[in] = append(stage[in], args)
	}
	return stage
}
