package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads, expands and validates the configuration file at path. Its
// error lists every problem found, each naming its key.
func Load(path string, opts ...Option) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(b, filepath.Dir(abs), os.LookupEnv, opts...)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse parses and validates a configuration document. dir anchors relative
// paths; lookupEnv resolves ${VAR} references.
func Parse(doc []byte, dir string, lookupEnv func(string) (string, bool), opts ...Option) (*Config, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	if err := dec.Decode(&root); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if len(root.Content) == 0 {
		return nil, errors.New("the file is empty")
	}
	var problems []error
	checkKeys(root.Content[0], reflect.TypeFor[Config](), "", &problems)
	env := envExpansion{lookup: lookupEnv, needs: o.needs, problems: &problems}
	env.expand(root.Content[0], "")
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	cfg := &Config{dir: dir}
	if err := root.Content[0].Decode(cfg); err != nil {
		return nil, typeError(err)
	}
	// Values left empty by unset variables that were not needed are
	// expected to be wrong; the rest of the file is still checked.
	if err := dropUnder(cfg.validate(), env.unresolved); err != nil {
		return nil, err
	}
	return cfg, nil
}

// checkKeys reports mapping keys that no field of t names, with their path,
// so a typo is caught instead of silently falling back to a default.
func checkKeys(n *yaml.Node, t reflect.Type, path string, problems *[]error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := map[string]reflect.Type{}
		yamlFields(t, fields)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			ft, ok := fields[k]
			if !ok {
				*problems = append(*problems, unknownKey(join(path, k), k, n.Content[i].Line, fields))
				continue
			}
			checkKeys(n.Content[i+1], ft, join(path, k), problems)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			checkKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), problems)
		}
	}
}

// unknownKey is the problem of the unknown key k at path, with the
// nearest known key when one is close enough to be the likely intent.
func unknownKey(path, k string, line int, fields map[string]reflect.Type) error {
	known := make([]string, 0, len(fields))
	for f := range fields {
		known = append(known, f)
	}
	if near := nearest(k, known); near != "" {
		return fmt.Errorf("%s: unknown key (line %d); did you mean %s?", path, line, near)
	}
	return fmt.Errorf("%s: unknown key (line %d)", path, line)
}

// yamlFields adds the YAML keys of struct t's fields to fields, with
// those of structs embedded with ",inline".
func yamlFields(t reflect.Type, fields map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "" && opts == "inline" && f.Type.Kind() == reflect.Struct:
			yamlFields(f.Type, fields)
		case name != "" && name != "-":
			fields[name] = f.Type
		}
	}
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// envExpansion replaces ${VAR} in scalar values, not in keys, and works
// on the parsed tree so that a value containing YAML syntax cannot change
// the document's structure. A reference keeps its scalar a string, so a
// secret that happens to look like a number or "true" stays the secret.
type envExpansion struct {
	lookup   func(string) (string, bool)
	needs    func(path string) bool // whether an unset variable at path is a problem
	problems *[]error
	// unresolved are the keys whose unset variables were not needed.
	unresolved []string
}

func (e *envExpansion) expand(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.ScalarNode:
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			v, ok := e.lookup(name)
			switch {
			case ok:
			case e.needs(path):
				*e.problems = append(*e.problems, fmt.Errorf("%s: environment variable %s is not set", path, name))
			default:
				e.unresolved = append(e.unresolved, path)
			}
			return v
		})
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			e.expand(n.Content[i+1], join(path, n.Content[i].Value))
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			e.expand(c, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// typeError rewords the YAML decoder's type errors ("cannot unmarshal !!str
// into time.Duration") so each still names its line.
func typeError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var out []error
		for _, e := range te.Errors {
			out = append(out, errors.New(strings.Replace(e, "cannot unmarshal", "wrong type: cannot read", 1)))
		}
		return errors.Join(out...)
	}
	return err
}
