package web

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestDomainCodesTranslated: every code a spaces.Error can carry has a message
// in every language. The codes are read from the spaces package's source:
// each Error literal's Code, followed back through the parameters of the
// functions that build it (invalid(field, code, msg), checkText(field, …) with
// field+"_too_long") to the string literals at their call sites. A code the
// reader cannot follow back fails the test: make it traceable, or list the
// codes it makes in a comment on its line or the line above:
//
//	// codes: slug_required slug_invalid slug_reserved slug_taken
func TestDomainCodesTranslated(t *testing.T) {
	codes, unresolved := domainCodes(t, "../spaces")
	for _, u := range unresolved {
		t.Errorf("cannot tell which codes this makes: %s", u)
	}
	if len(codes) < 40 || !slices.Contains(codes, "username_taken") || !slices.Contains(codes, "display_name_too_long") {
		t.Fatalf("the reader found too few codes, it is broken: %v", codes)
	}
	w := testWeb(t)
	for _, loc := range Locales {
		for _, code := range codes {
			if !w.cats[loc].has("error." + code) {
				t.Errorf("%s: no message for the domain code %q (error.%s)", loc, code, code)
			}
		}
	}
}

// codeReader follows the Code of spaces.Error literals back to string literals.
type codeReader struct {
	fset  *token.FileSet
	funcs map[string][]*ast.FuncDecl // by name
	calls map[string][]callSite      // calls of a function, by its name
	notes map[string][]string        // "file:line" → codes listed in a "// codes:" comment
}

type callSite struct {
	call   *ast.CallExpr
	caller *ast.FuncDecl // nil at package level
}

func domainCodes(t *testing.T, dir string) (codes, unresolved []string) {
	t.Helper()
	r := &codeReader{fset: token.NewFileSet(), funcs: map[string][]*ast.FuncDecl{}, calls: map[string][]callSite{}, notes: map[string][]string{}}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(r.fset, p, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if rest, ok := strings.CutPrefix(c.Text, "// codes:"); ok {
					pos := r.fset.Position(c.Pos())
					r.notes[fmt.Sprintf("%s:%d", pos.Filename, pos.Line)] = strings.Fields(rest)
				}
			}
		}
	}
	// Index functions and the calls made in each.
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if ok {
				r.funcs[fd.Name.Name] = append(r.funcs[fd.Name.Name], fd)
			}
			ast.Inspect(d, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok {
					if name := calleeName(c); name != "" {
						r.calls[name] = append(r.calls[name], callSite{call: c, caller: fd})
					}
				}
				return true
			})
		}
	}
	// Find every Error{…, Code: x} and resolve x.
	seen := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			fd, _ := d.(*ast.FuncDecl)
			ast.Inspect(d, func(n ast.Node) bool {
				lit, ok := n.(*ast.CompositeLit)
				if !ok || !isErrorType(lit.Type) {
					return true
				}
				for _, e := range lit.Elts {
					kv, ok := e.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					if key, ok := kv.Key.(*ast.Ident); ok && key.Name == "Code" {
						vals, errs := r.resolve(kv.Value, fd, 0)
						for _, err := range errs {
							unresolved = append(unresolved, err.Error())
						}
						for _, v := range vals {
							if !seen[v] {
								seen[v] = true
								codes = append(codes, v)
							}
						}
					}
				}
				return true
			})
		}
	}
	slices.Sort(codes)
	return codes, unresolved
}

func calleeName(c *ast.CallExpr) string {
	switch f := c.Fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

func isErrorType(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "Error"
}

// resolve returns the strings expression e can hold inside fn, and what it
// could not follow (it goes on with the rest).
func (r *codeReader) resolve(e ast.Expr, fn *ast.FuncDecl, depth int) ([]string, []error) {
	pos := r.fset.Position(e.Pos())
	for _, line := range []int{pos.Line, pos.Line - 1} {
		if codes, ok := r.notes[fmt.Sprintf("%s:%d", pos.Filename, line)]; ok {
			return codes, nil
		}
	}
	if depth > 6 {
		return nil, []error{fmt.Errorf("%s: too deep", pos)}
	}
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			s, err := strconv.Unquote(e.Value)
			if err != nil {
				return nil, []error{err}
			}
			return []string{s}, nil
		}
	case *ast.ParenExpr:
		return r.resolve(e.X, fn, depth)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			break
		}
		xs, errs := r.resolve(e.X, fn, depth)
		ys, yerrs := r.resolve(e.Y, fn, depth)
		var out []string
		for _, x := range xs {
			for _, y := range ys {
				out = append(out, x+y)
			}
		}
		return out, append(errs, yerrs...)
	case *ast.Ident:
		if fn == nil {
			break
		}
		i := paramIndex(fn, e.Name)
		if i < 0 {
			break
		}
		var (
			out  []string
			errs []error
		)
		for _, site := range r.calls[fn.Name.Name] {
			if i >= len(site.call.Args) {
				continue
			}
			vals, errs2 := r.resolve(site.call.Args[i], site.caller, depth+1)
			out, errs = append(out, vals...), append(errs, errs2...)
		}
		return out, errs
	}
	return nil, []error{fmt.Errorf("%s: %T", pos, e)}
}

func paramIndex(fn *ast.FuncDecl, name string) int {
	i := 0
	for _, field := range fn.Type.Params.List {
		for _, n := range field.Names {
			if n.Name == name {
				return i
			}
			i++
		}
		if len(field.Names) == 0 {
			i++
		}
	}
	return -1
}
