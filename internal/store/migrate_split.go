package store

import (
	"errors"
	"strings"
)

// statement is one SQL statement of a migration and the line it starts on.
type statement struct {
	sql  string
	line int
}

// splitStatements cuts a migration into its statements at the semicolons
// that are outside quotes, dollar quotes and comments. Statements holding
// nothing but comments are dropped.
func splitStatements(body string) ([]statement, error) {
	var out []statement
	start, line, startLine := 0, 1, 1
	code := false // the current statement has something besides comments
	// mark notes that the statement's code starts at i: comments before
	// it are left out, and its line is i's.
	mark := func(i int) {
		if !code {
			start, startLine, code = i, line, true
		}
	}
	flush := func(end int) {
		if code {
			out = append(out, statement{sql: strings.TrimSpace(body[start:end]), line: startLine})
		}
		start, code = end+1, false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\n':
			line++
		case c == '-' && strings.HasPrefix(body[i:], "--"):
			end := strings.IndexByte(body[i:], '\n')
			if end < 0 {
				i = len(body)
				continue
			}
			i += end - 1 // the newline is counted on the next turn
		case c == '/' && strings.HasPrefix(body[i:], "/*"):
			depth := 1
			for i += 2; i < len(body) && depth > 0; i++ {
				switch {
				case strings.HasPrefix(body[i:], "/*"):
					depth++
					i++
				case strings.HasPrefix(body[i:], "*/"):
					depth--
					i++
				case body[i] == '\n':
					line++
				}
			}
			if depth != 0 {
				return nil, errors.New("unterminated /* comment")
			}
			i-- // the loop's i++ moves past the comment
		case c == '\'' || c == '"':
			mark(i)
			end := strings.IndexByte(body[i+1:], c)
			if end < 0 {
				return nil, errors.New("unterminated quote")
			}
			line += strings.Count(body[i:i+1+end], "\n")
			i += end + 1 // a doubled quote reads as two quoted strings: the same cut
		case c == '$' && dollarTag(body[i:]) != "":
			tag := dollarTag(body[i:])
			end := strings.Index(body[i+len(tag):], tag)
			if end < 0 {
				return nil, errors.New("unterminated dollar quote " + tag)
			}
			mark(i)
			line += strings.Count(body[i:i+len(tag)+end], "\n")
			i += len(tag) + end + len(tag) - 1
		case c == ';':
			flush(i)
		case c == ' ' || c == '\t' || c == '\r':
		default:
			mark(i)
		}
	}
	flush(len(body))
	return out, nil
}

// dollarTag returns the dollar-quote opener at the start of s ($$ or
// $name$), or "" when s does not start one (a $1 parameter, say).
func dollarTag(s string) string {
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$':
			return s[:i+1]
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 1 && c >= '0' && c <= '9':
		default:
			return ""
		}
	}
	return ""
}
