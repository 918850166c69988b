// Package golden holds the golden-file helpers the format packages' tests
// share: compare or rewrite (-update) an expected output, and render what a
// reader yields with its value types.
package golden

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mxverify/mxverify/io/rowio"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Check compares got with the golden file at path, or rewrites it when the
// test runs with -update.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	name := filepath.Base(path)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update after checking):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// Dump renders everything a reader yields, value types included, so that a
// golden file shows what a reader produced and not just its text.
func Dump(r rowio.Reader) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "columns: %q\n", r.Columns())
	for n := 1; ; n++ {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			b.WriteString("EOF\n")
			break
		}
		if err != nil {
			fmt.Fprintf(&b, "error: %v\n", err)
			break
		}
		fmt.Fprintf(&b, "row %d:", n)
		for _, v := range row {
			b.WriteString(" " + typed(v))
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func typed(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case string:
		return fmt.Sprintf("%q", x)
	case json.Number:
		return "number(" + x.String() + ")"
	case json.RawMessage:
		return "raw(" + string(x) + ")"
	case time.Time:
		return "time(" + x.Format(time.RFC3339Nano) + ")"
	}
	return fmt.Sprintf("%T(%v)", v, v)
}

// Inputs names the files of dir with the given extensions, failing the
// test when there are none (a fixture that silently went missing).
func Inputs(t testing.TB, inputDir string, exts ...string) []string {
	t.Helper()
	var names []string
	for _, ext := range exts {
		m, err := filepath.Glob(filepath.Join(inputDir, "*"+ext))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m {
			names = append(names, filepath.Base(p))
		}
	}
	if len(names) == 0 {
		t.Fatalf("no %s inputs in %s", strings.Join(exts, ", "), inputDir)
	}
	return names
}
