package jsonlio_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/mxverify/mxverify/io/internal/golden"
	"github.com/mxverify/mxverify/io/rowio"
)

const (
	inputDir  = "../../testdata/formats/in"
	goldenDir = "../../testdata/formats/golden"
)

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join(goldenDir, name), got)
}

func dump(r rowio.Reader) []byte { return golden.Dump(r) }

func inputs(t *testing.T, exts ...string) []string {
	t.Helper()
	return golden.Inputs(t, inputDir, exts...)
}

func openInput(t *testing.T, name string) io.Reader {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(inputDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(data)
}
