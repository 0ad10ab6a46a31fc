package main

import "github.com/spf13/cobra"

// devOptions are the flags of portcullis dev.
type devOptions struct{}

// devFlags adds dev's flags to cmd.
func devFlags(cmd *cobra.Command, opts *devOptions) {}
