package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"
)

// TestTargetsWithoutServiceBackPointer: host.go and website.go name neither
// the service type nor its methods: a target probes through the probeEnv the
// service hands it (issue 23: no back-pointers, no two-way file dependency).
func TestTargetsWithoutServiceBackPointer(t *testing.T) {
	for _, file := range []string{"host.go", "website.go"} {
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		refs := 0
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && id.Name == "service" {
				refs++
			}
			return true
		})
		if refs != 0 {
			t.Errorf("%s names the service type %d times", file, refs)
		}
	}
}
