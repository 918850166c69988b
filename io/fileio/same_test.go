package fileio_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mxverify/mxverify/io/fileio"
)

// Files are compared, not their spellings.
func TestSameFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	list := filepath.Join(dir, "list.csv")
	if err := os.WriteFile(list, []byte("email\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(list, filepath.Join(dir, "hard.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("list.csv", filepath.Join(dir, "soft.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		a, b string
		same bool
	}{
		{list, filepath.Join(dir, "sub", "..", "list.csv"), true},
		{list, filepath.Join(dir, "hard.csv"), true},
		{list, filepath.Join(dir, "soft.csv"), true},
		{filepath.Join(dir, "new.csv"), filepath.Join(dir, "sub", "..", "new.csv"), true},
		{list, filepath.Join(dir, "new.csv"), false},
		{filepath.Join(dir, "new.csv"), filepath.Join(dir, "sub", "new.csv"), false},
		{filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv"), false},
	}
	for _, tt := range tests {
		if got := fileio.SameFile(tt.a, tt.b); got != tt.same {
			t.Errorf("SameFile(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
}
