package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/portcullis/portcullis/dpop"
)

func dpopCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "dpop", Short: "Make DPoP proofs (RFC 9449), to try bound tokens by hand"}
	cmd.AddCommand(dpopProofCmd())
	return cmd
}

func dpopProofCmd() *cobra.Command {
	var method, target, token, nonce, keyFile string
	cmd := &cobra.Command{
		Use:   "proof",
		Short: "Print a DPoP proof for one request; its key's thumbprint goes to stderr",
		Long: "Print a DPoP proof (RFC 9449) for one request of --method to --url, for a DPoP\n" +
			"header. --token hashes an access token into it (ath), as APIs require; --nonce\n" +
			"carries the server's latest DPoP-Nonce. The key's thumbprint (the cnf.jkt of\n" +
			"tokens bound to it, and a dpop_jkt) goes to stderr.\n\n" +
			"--key FILE keeps the key in a PEM file (PKCS #8, or SEC 1 for EC), created with a\n" +
			"new P-256 key and mode 0600 when missing, so that later proofs, for the tokens\n" +
			"bound to it, use the same key. Without it the key is new and lost when the\n" +
			"command ends.\n\n" +
			"  curl -u CLIENT:SECRET -d grant_type=client_credentials \\\n" +
			"    -H \"DPoP: $(portcullis dpop proof --key k.pem --method POST --url https://id.example.com/token)\" \\\n" +
			"    https://id.example.com/token",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := proofKey(keyFile, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			proof, err := key.Proof(method, target, token, nonce)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), proof)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&method, "method", "", "the request's method, exactly as sent (POST, GET...)")
	f.StringVar(&target, "url", "", "the request's URL (query and fragment are left out of the proof)")
	f.StringVar(&token, "token", "", "the access token the request carries, for an API")
	f.StringVar(&nonce, "nonce", "", "the server's latest DPoP-Nonce")
	f.StringVar(&keyFile, "key", "", "PEM private key file, created when missing (default: a key for this proof only)")
	cmd.MarkFlagRequired("method")
	cmd.MarkFlagRequired("url")
	return cmd
}

// proofKey returns the key in path, made and saved there if the file does
// not exist, or a key for one proof when path is "". It says on notes which
// it is, with the key's thumbprint.
func proofKey(path string, notes io.Writer) (*dpop.Key, error) {
	if path == "" {
		key, err := dpop.GenerateKey()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(notes, "jkt %s (an ephemeral key, gone when this command ends: a token bound to it cannot be used after; keep a key with --key FILE)\n", key.Thumbprint())
		return key, nil
	}
	key, err := readKeyFile(path, notes)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if key, err = dpop.GenerateKey(); err != nil {
		return nil, err
	}
	data, err := key.MarshalPEM()
	if err != nil {
		return nil, err
	}
	switch err := writeNewFile(path, data); {
	case errors.Is(err, fs.ErrExist):
		// Another call made it first: use its key, as every call must.
		return readKeyFile(path, notes)
	case err != nil:
		return nil, err
	}
	fmt.Fprintf(notes, "jkt %s (a new key, saved in %s)\n", key.Thumbprint(), path)
	return key, nil
}

// readKeyFile reads the key in path, warning on notes when other users may
// read the file too.
func readKeyFile(path string, notes io.Writer) (*dpop.Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	key, err := dpop.ParseKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		fmt.Fprintf(notes, "warning: %s can be read by other users (mode %v); chmod 600 it\n", path, fi.Mode().Perm())
	}
	fmt.Fprintf(notes, "jkt %s (the key in %s)\n", key.Thumbprint(), path)
	return key, nil
}

// writeNewFile writes data to a new file at path, readable by its owner
// only; it fails with fs.ErrExist if the file exists. The file appears
// whole: a concurrent reader never sees it half written.
func writeNewFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".portcullis-key-*") // mode 0600
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}
