// Command images builds the OCI images of hookops-server and clientgo-mirror
// without a Docker daemon and pushes them to a registry.
//
//	images build [--repo DIR] [--out DIR] [--platforms linux/amd64,linux/arm64]
//	images push --registry REGISTRY [--layout DIR] [--tag TAG]
//
// build compiles the binaries with ko's build library onto an empty,
// non-root base made in process (no base image is pulled) and writes both
// images' indexes into an OCI image layout. The images are reproducible: the
// creation time is $SOURCE_DATE_EPOCH (the Unix epoch when unset), so one
// checkout built with one Go toolchain gives the same digests.
//
// push copies the layout's images to REGISTRY/<name>:TAG with the
// credentials of the Docker config file (authn.DefaultKeychain).
//
// This is a module of its own so that ko and go-containerregistry stay out
// of the main module's go.mod.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	// ko logs each go build and, on every build, whether the git checkout
	// is dirty; build reports progress and errors itself.
	log.SetOutput(io.Discard)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

// defaultLayout is where build writes and push reads, in the checkout
// (bin/ is ignored by git).
const defaultLayout = "bin/images"

const usage = `usage:
  images build [--repo DIR] [--out DIR] [--platforms P,P]   build the images into an OCI image layout
  images push --registry REGISTRY [--layout DIR] [--tag T]  push the layout's images to REGISTRY/<name>:T
  images digest --layout DIR NAME                           print the digest of NAME's index in the layout
`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	switch args[0] {
	case "build":
		return runBuild(ctx, args[1:], getenv, stdout, stderr)
	case "push":
		return runPush(ctx, args[1:], stdout, stderr)
	case "digest":
		return runDigest(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

func runBuild(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("images build", flag.ContinueOnError)
	fs.SetOutput(stderr)
	repo := fs.String("repo", "", "directory in the hookops checkout to build (default: the checkout around the working directory)")
	out := fs.String("out", "", "OCI image layout directory, replaced by the build (default: bin/images in the checkout)")
	platforms := fs.String("platforms", strings.Join(DefaultPlatforms, ","), "comma-separated os/arch list")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	created, err := sourceDate(getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return err
	}
	if *repo == "" {
		if *repo, err = findRepo("."); err != nil {
			return err
		}
	}
	if *out == "" {
		*out = filepath.Join(*repo, defaultLayout)
	}
	start := time.Now()
	built, err := Build(ctx, BuildOptions{Progress: stderr, Repo: *repo, Platforms: strings.Split(*platforms, ","), Created: created})
	if err != nil {
		return err
	}
	if err := WriteLayout(*out, built); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s in %s (created %s)\n", *out, time.Since(start).Round(100*time.Millisecond), created.Format(time.RFC3339))
	for _, b := range built {
		d, err := b.Index.Digest()
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%-16s %s\n", b.Image.Name, d)
		sizes, err := Sizes(b.Index)
		if err != nil {
			return err
		}
		for _, s := range sizes {
			fmt.Fprintf(stdout, "  %-14s %s  %5.1f MiB compressed\n", s.Platform, s.Digest, float64(s.Compressed)/(1<<20))
		}
	}
	return nil
}

func runPush(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("images push", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("layout", "", "OCI image layout written by build (default: bin/images in the checkout)")
	registry := fs.String("registry", "", "registry and path prefix, e.g. ghcr.io/acme; images go to <registry>/<name>")
	tag := fs.String("tag", "latest", "tag to push")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *registry == "" {
		return errors.New("--registry is required (make push-images REGISTRY=ghcr.io/acme)")
	}
	if *dir == "" {
		repo, err := findRepo(".")
		if err != nil {
			return err
		}
		*dir = filepath.Join(repo, defaultLayout)
	}
	pushed, err := Push(ctx, *dir, *registry, *tag)
	for _, p := range pushed {
		fmt.Fprintf(stdout, "pushed %s@%s\n", p.Tag, p.Digest)
	}
	return err
}

// sourceDate parses SOURCE_DATE_EPOCH (seconds since the Unix epoch); empty
// is the epoch itself.
func sourceDate(s string) (time.Time, error) {
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since the Unix epoch", s)
	}
	return time.Unix(sec, 0).UTC(), nil
}

func runDigest(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("images digest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("layout", defaultLayout, "OCI image layout written by build")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("name one image, e.g. hookops-server")
	}
	digests, err := Digests(*dir)
	if err != nil {
		return err
	}
	d, ok := digests[fs.Arg(0)]
	if !ok {
		return fmt.Errorf("no image %q in %s", fs.Arg(0), *dir)
	}
	fmt.Fprintln(stdout, d)
	return nil
}
