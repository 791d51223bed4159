// The parse tree of a Go template (internal to go_template*.cpp): what the parser builds and the
// executor walks. Positions are byte offsets into the template text, for error messages.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace berth::cli::gotmpl {

struct Pipeline;

// One term of a command, with the fields chained after it (".A.B", "$x.A", "(pipeline).A").
struct Operand {
    enum class Kind { Dot, Nil, Literal, Field, Variable, Function, Group };
    Kind kind = Kind::Dot;
    size_t pos = 0;
    std::string text;                       // source text, shown in execution errors
    std::string name;                       // Variable: "$x"; Function: "upper"
    nlohmann::json literal;                 // Literal
    std::vector<std::string> fields;        // field names after the term, in order
    std::shared_ptr<const Pipeline> group;  // Group: the parenthesised pipeline
};

// A function call or a value: `index .Labels "x"`, `.Name`, `"text"`.
struct Command {
    size_t pos = 0;
    std::string text;
    std::vector<Operand> args;
};

// Commands joined by '|', optionally declaring or assigning variables: `$k, $v := .Labels`.
struct Pipeline {
    size_t pos = 0;
    std::vector<std::string> variables;
    bool assign = false;  // "=" rather than ":="
    std::vector<Command> commands;
};

struct Node;
using List = std::vector<Node>;

struct Node {
    enum class Kind { Text, Action, If, Range, With, Break, Continue };
    Kind kind = Kind::Text;
    size_t pos = 0;
    std::string text;   // Text
    Pipeline pipeline;  // Action, If, Range, With
    List list;          // the body of If, Range, With
    List else_list;     // their {{else}} part
};

struct Tree {
    std::string source;
    List root;
};

}  // namespace berth::cli::gotmpl
