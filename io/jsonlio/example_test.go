package jsonlio_test

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mxverify/mxverify/io/jsonlio"
)

func ExampleNewReader() {
	in := `{"email":"ann@example.com","age":31,"tags":[ "a", "b" ]}` + "\n" +
		`{"age":null,"email":"bob@example.org"}` + "\n"
	r, err := jsonlio.NewReader(strings.NewReader(in), "list.jsonl")
	if err != nil {
		fmt.Println(err)
		return
	}
	w := jsonlio.NewWriter(os.Stdout, r.Columns())
	for {
		row, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		w.Write(row)
	}
	w.Close()
	// Output:
	// {"email":"ann@example.com","age":31,"tags":["a","b"]}
	// {"email":"bob@example.org","age":null,"tags":null}
}

func ExampleNewReader_error() {
	in := `{"email":"ann@example.com"}` + "\n" + `{"email":"bob@example.org","name":"Bob"}` + "\n"
	r, err := jsonlio.NewReader(strings.NewReader(in), "list.jsonl")
	if err != nil {
		fmt.Println(err)
		return
	}
	r.Read()
	_, err = r.Read()
	fmt.Println(err)
	// Output: list.jsonl:2:28: key "name" not in the first row's keys
}
