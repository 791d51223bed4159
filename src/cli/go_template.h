// The part of Go's text/template that docker's `--format` flags use, rendered against JSON.
//
// Supported: text; {{.Field}}, {{.A.B}}, {{.}}, {{$}}, variables ({{$x := .A}}, {{$x = .B}});
// {{if}}/{{else if}}/{{else}}/{{end}}, {{with}}, {{range}} (with "$v :=" or "$k, $v :=",
// {{break}}, {{continue}}); pipelines ({{.Name | upper}}); parenthesised pipelines; string,
// raw string, character, number, bool and nil literals; {{/* comments */}}; "{{- " and " -}}"
// trimming. Functions: Go's and, or, not, len, index, slice, print, printf, println, eq, ne, lt,
// le, gt, ge, and docker's json, join, split, upper, lower, title, truncate, pad.
// {{define}}, {{template}} and {{block}} are not supported.
//
// Data is JSON: an object behaves as a Go map (a missing key gives "<no value>", fields of a
// missing value are missing too), values print as Go's fmt %v prints them.
//
// Errors read as docker's list commands print them:
//   template parsing error: template: :1: function "foo" not defined
//   template parsing error: template: :1:2: executing "" at <.Names>: can't evaluate field ...
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/error.h"

namespace berth::cli {

namespace gotmpl {
struct Tree;
}

// A parsed template. Immutable and cheap to copy; render may be called from several threads.
class Template {
  public:
    static Result<Template> parse(std::string_view text);

    Result<std::string> render(const nlohmann::json& data) const;

    // Renders docker's table header row: `headers` maps field names to column titles
    // ({"ID": "CONTAINER ID"}), and docker's own functions (json, join, split, upper, lower, title,
    // truncate, pad) return their first argument unchanged, so "{{truncate .ID 12}}" still
    // shows "CONTAINER ID".
    Result<std::string> render_header(const nlohmann::json& headers) const;

  private:
    explicit Template(std::shared_ptr<const gotmpl::Tree> tree) : tree_(std::move(tree)) {}
    Result<std::string> execute(const nlohmann::json& data, bool header) const;

    std::shared_ptr<const gotmpl::Tree> tree_;
};

}  // namespace berth::cli
