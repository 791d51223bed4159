// Template::render: walks the parse tree against JSON data the way Go's text/template executes
// against map[string]interface{} values.
#include <algorithm>

#include "cli/go_format.h"
#include "cli/go_template.h"
#include "cli/go_template_funcs.h"
#include "cli/go_template_tree.h"

namespace berth::cli {
namespace gotmpl {
namespace {

using Json = nlohmann::json;

enum class Flow { Normal, Break, Continue };

const Json& null_json() {
    static const Json null;
    return null;
}

class Executor {
  public:
    Executor(const Tree& tree, const Json& root, bool header) : tree_(tree), header_(header) {
        variables_.emplace_back("$", root);
    }

    Result<std::string> run(const Json& root) {
        TRY(walk(tree_.root, root));
        return std::move(out_);
    }

  private:
    // Go's "template: :LINE:COL: executing "" at <NODE>: message"; COL counts bytes from 0.
    Error error_at(size_t pos, std::string_view node, const std::string& message) const {
        std::string_view before = std::string_view(tree_.source).substr(0, pos);
        size_t line = 1 + std::ranges::count(before, '\n');
        size_t newline = before.rfind('\n');
        size_t column = newline == std::string_view::npos ? pos : pos - newline - 1;
        std::string context(node.substr(0, 20));
        if (node.size() > 20) context += "...";
        return Error(ErrorKind::InvalidArgument,
                     "template parsing error: template: :" + std::to_string(line) + ":" +
                         std::to_string(column) + ": executing \"\" at <" + context +
                         ">: " + message);
    }
    Error error_at(const Operand& operand, const std::string& message) const {
        return error_at(operand.pos, operand.text, message);
    }

    Result<Flow> walk(const List& list, const Json& dot) {
        for (const Node& node : list) {
            Flow flow = TRY(walk_node(node, dot));
            if (flow != Flow::Normal) return flow;
        }
        return Flow::Normal;
    }

    Result<Flow> walk_node(const Node& node, const Json& dot) {
        switch (node.kind) {
            case Node::Kind::Text:
                out_ += node.text;
                return Flow::Normal;
            case Node::Kind::Action: {
                Json value = TRY(eval_pipeline(node.pipeline, dot));
                if (node.pipeline.variables.empty()) out_ += go_template_print(value);
                return Flow::Normal;
            }
            case Node::Kind::If:
            case Node::Kind::With: {
                size_t scope = variables_.size();
                Json value = TRY(eval_pipeline(node.pipeline, dot));
                Flow flow;
                if (!is_true(value))
                    flow = TRY(walk(node.else_list, dot));
                else if (node.kind == Node::Kind::With)
                    flow = TRY(walk(node.list, value));
                else
                    flow = TRY(walk(node.list, dot));
                pop_to(scope);
                return flow;
            }
            case Node::Kind::Range:
                return walk_range(node, dot);
            case Node::Kind::Break:
                return Flow::Break;
            case Node::Kind::Continue:
                return Flow::Continue;
        }
        return Flow::Normal;
    }

    Result<Flow> walk_range(const Node& node, const Json& dot) {
        size_t scope = variables_.size();
        Json value = TRY(eval_pipeline(node.pipeline, dot));
        size_t iteration_scope = variables_.size();
        const std::vector<std::string>& names = node.pipeline.variables;
        // One variable gets the element; two get the key (or index) and the element.
        auto iterate = [&](const Json& key, const Json& element) -> Result<Flow> {
            if (!names.empty()) {
                TRY(set_range_variable(node, names.size() == 1 ? 0 : 1, element));
                if (names.size() == 2) TRY(set_range_variable(node, 0, key));
            }
            Flow flow = TRY(walk(node.list, element));
            pop_to(iteration_scope);
            return flow;
        };
        bool any = false;
        if (value.is_array()) {
            for (size_t i = 0; i < value.size(); ++i) {
                any = true;
                if (TRY(iterate(Json(i), value[i])) == Flow::Break) break;
            }
        } else if (value.is_object()) {
            for (const auto& [key, element] : value.items()) {  // sorted keys, as Go ranges maps
                any = true;
                if (TRY(iterate(Json(key), element)) == Flow::Break) break;
            }
        } else if (value.is_number_integer()) {  // Go 1.22 ranges over an int
            if (names.size() > 1)
                return fail(error_at(
                    node.pos, "range",
                    "can't use " + value.dump() + " to iterate over more than one variable"));
            for (int64_t i = 0; i < value.get<int64_t>(); ++i) {
                any = true;
                if (TRY(iterate(Json(i), Json(i))) == Flow::Break) break;
            }
        } else if (!value.is_null()) {
            const Command& command = node.pipeline.commands.front();
            return fail(error_at(command.pos, command.text,
                                 "range can't iterate over " + go_sprint_value(value)));
        }
        // A {{break}} in the else part belongs to an enclosing range.
        Flow flow = any ? Flow::Normal : TRY(walk(node.else_list, dot));
        pop_to(scope);
        return flow;
    }

    // Declared range variables sit just above the scope of the range; assigned ones are set.
    Result<void> set_range_variable(const Node& node, size_t index, const Json& value) {
        const std::string& name = node.pipeline.variables[index];
        if (node.pipeline.assign) return set_variable(node.pos, name, value);
        size_t base = variables_.size() - node.pipeline.variables.size();
        variables_[base + index].second = value;
        return {};
    }

    void pop_to(size_t size) {
        variables_.erase(variables_.begin() + static_cast<long>(size), variables_.end());
    }

    Result<void> set_variable(size_t pos, const std::string& name, const Json& value) {
        for (auto it = variables_.rbegin(); it != variables_.rend(); ++it) {
            if (it->first == name) {
                it->second = value;
                return {};
            }
        }
        return fail(error_at(pos, name, "undefined variable: " + name));
    }

    Result<Json> lookup(const Operand& operand) const {
        for (auto it = variables_.rbegin(); it != variables_.rend(); ++it)
            if (it->first == operand.name) return it->second;
        return fail(error_at(operand, "undefined variable: " + operand.name));
    }

    Result<Json> eval_pipeline(const Pipeline& pipeline, const Json& dot) {
        Json value;
        bool piped = false;
        for (const Command& command : pipeline.commands) {
            Json result = TRY(eval_command(command, dot, piped ? &value : nullptr));
            value = std::move(result);
            piped = true;
        }
        for (const std::string& name : pipeline.variables) {
            if (pipeline.assign)
                TRY(set_variable(pipeline.pos, name, value));
            else
                variables_.emplace_back(name, value);
        }
        return value;
    }

    Result<void> not_a_function(const Command& command, const Json* final) const {
        if (command.args.size() > 1 || final) {
            const Operand& first = command.args.front();
            return fail(error_at(first, "can't give argument to non-function " + first.text));
        }
        return {};
    }

    // A command's value; `final` is the value piped in from the previous command, if any.
    Result<Json> eval_command(const Command& command, const Json& dot, const Json* final) {
        const Operand& first = command.args.front();
        bool has_args = command.args.size() > 1 || final;
        switch (first.kind) {
            case Operand::Kind::Field:
                return eval_fields(dot, first, has_args);
            case Operand::Kind::Function:
                if (first.fields.empty()) return call(first, &command, dot, final);
                return eval_fields(TRY(call(first, nullptr, dot, nullptr)), first, has_args);
            case Operand::Kind::Nil:
                return fail(error_at(first, "nil is not a command"));
            default:
                break;
        }
        if (first.fields.empty()) TRY(not_a_function(command, final));
        Json value = TRY(eval_term(first, dot));
        if (first.fields.empty()) return value;
        return eval_fields(value, first, has_args);
    }

    // The value of an operand before its chained fields (Dot, literals, variables, groups).
    Result<Json> eval_term(const Operand& operand, const Json& dot) {
        switch (operand.kind) {
            case Operand::Kind::Dot:
                return dot;
            case Operand::Kind::Nil:
                return Json();
            case Operand::Kind::Literal:
                return operand.literal;
            case Operand::Kind::Variable:
                return lookup(operand);
            case Operand::Kind::Group:
                return eval_pipeline(*operand.group, dot);
            case Operand::Kind::Function:
                return call(operand, nullptr, dot, nullptr);
            case Operand::Kind::Field:
                return dot;
        }
        return Json();
    }

    Result<Json> eval_arg(const Operand& operand, const Json& dot) {
        if (operand.kind == Operand::Kind::Field) return eval_fields(dot, operand, false);
        Json value = TRY(eval_term(operand, dot));
        if (operand.fields.empty()) return value;
        return eval_fields(value, operand, false);
    }

    // Follows operand.fields from receiver. Objects are Go maps: a missing key, and any field of
    // a missing value, is null ("<no value>"); fields of strings, numbers or arrays are errors.
    Result<Json> eval_fields(const Json& receiver, const Operand& operand, bool has_args) const {
        const Json* current = &receiver;
        for (size_t i = 0; i < operand.fields.size(); ++i) {
            const std::string& name = operand.fields[i];
            if (current->is_object()) {
                if (has_args && i + 1 == operand.fields.size())
                    return fail(error_at(operand, name + " is not a method but has arguments"));
                auto it = current->find(name);
                current = it == current->end() ? &null_json() : &*it;
            } else if (!current->is_null()) {
                return fail(error_at(operand, "can't evaluate field " + name + " in type " +
                                                  go_type_name(*current)));
            }
        }
        return *current;
    }

    Result<Json> call(const Operand& function, const Command* command, const Json& dot,
                      const Json* final) {
        const std::string& name = function.name;
        std::vector<Json> args;
        size_t count = (command ? command->args.size() - 1 : 0) + (final ? 1 : 0);
        // and/or stop evaluating at the first argument that decides (Go 1.18).
        bool and_or = name == "and" || name == "or";
        for (size_t i = 0; i < count; ++i) {
            bool is_final = command == nullptr || i + 1 >= command->args.size();
            Json value = is_final ? *final : TRY(eval_arg(command->args[i + 1], dot));
            if (and_or && is_true(value) == (name == "or")) return value;
            args.push_back(std::move(value));
        }
        auto result = call_function(name, args, header_);
        if (!result) {
            if (command)
                return fail(error_at(command->pos, command->text, result.error().message()));
            return fail(error_at(function, result.error().message()));
        }
        return std::move(*result);
    }

    const Tree& tree_;
    bool header_;
    std::vector<std::pair<std::string, Json>> variables_;
    std::string out_;
};

}  // namespace
}  // namespace gotmpl

Result<std::string> Template::execute(const nlohmann::json& data, bool header) const {
    return gotmpl::Executor(*tree_, data, header).run(data);
}

Result<std::string> Template::render(const nlohmann::json& data) const {
    return execute(data, false);
}

Result<std::string> Template::render_header(const nlohmann::json& headers) const {
    return execute(headers, true);
}

}  // namespace berth::cli
