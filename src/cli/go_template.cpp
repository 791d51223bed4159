// Template::parse: a lexer and a recursive-descent parser for Go's template syntax, producing the
// tree in go_template_tree.h. Errors name the line, as Go's do ("template: :3: unexpected EOF").
#include "cli/go_template.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "base/parse_int.h"
#include "base/utf8.h"
#include "cli/go_template_funcs.h"
#include "cli/go_template_tree.h"

namespace berth::cli {
namespace gotmpl {
namespace {

using Json = nlohmann::json;

enum class Tok {
    Text,
    LeftDelim,
    RightDelim,
    Identifier,
    Keyword,
    Field,     // ".Name": value is "Name"
    Variable,  // "$x" or "$"
    Dot,
    Literal,  // string, raw string, character, number, bool
    Nil,
    Pipe,
    LeftParen,
    RightParen,
    Declare,  // :=
    Assign,   // =
    Comma,
    Eof,
};

struct Token {
    Tok type;
    size_t pos;
    size_t end;
    std::string value;
    Json literal;
    bool space_before = false;  // separates operands; ".A.B" is a chain, ".A .B" two operands
};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_alnum(char c) {
    auto byte = static_cast<unsigned char>(c);
    return c == '_' || byte >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

Error error_at_line(std::string_view source, size_t pos, const std::string& message) {
    size_t line =
        1 + std::count(source.begin(), source.begin() + std::min(pos, source.size()), '\n');
    return Error(ErrorKind::InvalidArgument,
                 "template parsing error: template: :" + std::to_string(line) + ": " + message);
}

// Go's escapes inside "..." and '...': \a \b \f \n \r \t \v \\ \quote \xHH \OOO \uHHHH \UHHHHHHHH.
// Returns false on a malformed escape.
bool unescape(std::string_view body, char quote, std::string& out) {
    for (size_t i = 0; i < body.size(); ++i) {
        char c = body[i];
        if (c != '\\') {
            out += c;
            continue;
        }
        if (++i >= body.size()) return false;
        char e = body[i];
        switch (e) {
            case 'a':
                out += '\a';
                continue;
            case 'b':
                out += '\b';
                continue;
            case 'f':
                out += '\f';
                continue;
            case 'n':
                out += '\n';
                continue;
            case 'r':
                out += '\r';
                continue;
            case 't':
                out += '\t';
                continue;
            case 'v':
                out += '\v';
                continue;
            case '\\':
                out += '\\';
                continue;
            default:
                break;
        }
        if (e == quote) {
            out += e;
            continue;
        }
        size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : (e >= '0' && e <= '7') ? 3 : 0;
        if (digits == 0) return false;
        size_t start = e >= '0' && e <= '7' ? i : i + 1;
        int base = e >= '0' && e <= '7' ? 8 : 16;
        if (start + digits > body.size()) return false;
        auto code = parse_int<uint32_t>(body.substr(start, digits), base);
        if (!code) return false;
        uint32_t value = *code;
        i = start + digits - 1;
        if (e == 'x' || base == 8) {
            if (value > 255) return false;
            out += static_cast<char>(value);
        } else {
            if (value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return false;
            append_utf8(out, value);
        }
    }
    return true;
}

// Go's number literals: decimal, 0x/0o/0b integers, floats with '.' or exponents, '_' between
// digits. A literal with '.', 'e' or 'p' (not in hex) is a float, otherwise an int.
std::optional<Json> parse_number(std::string_view text) {
    std::string digits;
    for (char c : text)
        if (c != '_') digits += c;
    bool negative = !digits.empty() && digits[0] == '-';
    size_t sign = !digits.empty() && (digits[0] == '-' || digits[0] == '+');
    std::string_view body = std::string_view(digits).substr(sign);
    int base = 10;
    if (body.size() > 1 && body[0] == '0') {
        char prefix = static_cast<char>(body[1] | 0x20);
        if (prefix == 'x' || prefix == 'o' || prefix == 'b') {
            base = prefix == 'x' ? 16 : prefix == 'o' ? 8 : 2;
            body.remove_prefix(2);
        } else if (std::ranges::all_of(body, is_digit)) {
            base = 8;  // "0755"
        }
    }
    bool is_float = base != 16 && body.find_first_of(".eEpP") != std::string_view::npos;
    if (!is_float && !body.empty()) {
        if (auto magnitude = parse_int<uint64_t>(body, base)) {
            if (!negative && *magnitude <= static_cast<uint64_t>(INT64_MAX))
                return Json(static_cast<int64_t>(*magnitude));
            if (negative && *magnitude <= static_cast<uint64_t>(INT64_MAX) + 1)
                return Json(static_cast<int64_t>(0 - *magnitude));
            return std::nullopt;
        }
        if (base != 10) return std::nullopt;
    }
    char* end = nullptr;
    double value = std::strtod(digits.c_str(), &end);
    if (end != digits.c_str() + digits.size() || digits.empty()) return std::nullopt;
    return Json(value);
}

constexpr std::string_view kKeywords[] = {"if",    "else",     "end",    "range",    "with",
                                          "break", "continue", "define", "template", "block"};

class Lexer {
  public:
    explicit Lexer(std::string_view source) : source_(source) {}

    Result<std::vector<Token>> run() {
        while (pos_ < source_.size()) {
            size_t open = source_.find("{{", pos_);
            size_t text_end = open == std::string_view::npos ? source_.size() : open;
            size_t text_start = pos_;
            if (trim_next_text_)
                while (text_start < text_end && is_space(source_[text_start]))
                    ++text_start;
            trim_next_text_ = false;
            bool left_trim = open != std::string_view::npos && open + 3 < source_.size() &&
                             source_[open + 2] == '-' && is_space(source_[open + 3]);
            if (left_trim)
                while (text_end > text_start && is_space(source_[text_end - 1]))
                    --text_end;
            if (text_end > text_start)
                emit(Tok::Text, text_start, text_end,
                     std::string(source_.substr(text_start, text_end - text_start)));
            if (open == std::string_view::npos) break;
            pos_ = open + 2 + (left_trim ? 2 : 0);
            if (source_.substr(pos_).starts_with("/*")) {
                TRY(lex_comment(open));
                continue;
            }
            emit(Tok::LeftDelim, open, open + 2);
            TRY(lex_action());
        }
        emit(Tok::Eof, source_.size(), source_.size());
        return std::move(tokens_);
    }

  private:
    // The length of the right delimiter at pos_ (4 for " -}}", 2 for "}}"), or 0.
    size_t right_delim_length() const {
        std::string_view rest = source_.substr(pos_);
        if (rest.size() >= 4 && is_space(rest[0]) && rest[1] == '-' && rest.substr(2, 2) == "}}")
            return 4;
        return rest.starts_with("}}") ? 2 : 0;
    }

    void emit(Tok type, size_t pos, size_t end, std::string value = {}, Json literal = {}) {
        tokens_.push_back(Token{type, pos, end, std::move(value), std::move(literal), space_});
        space_ = false;
    }

    Error error(size_t pos, const std::string& message) const {
        return error_at_line(source_, pos, message);
    }

    Result<void> lex_comment(size_t open) {
        size_t close = source_.find("*/", pos_ + 2);
        if (close == std::string_view::npos) return fail(error(open, "unclosed comment"));
        pos_ = close + 2;
        size_t delim = right_delim_length();
        if (delim == 0) return fail(error(pos_, "comment ends before closing delimiter"));
        pos_ += delim;
        trim_next_text_ = delim == 4;
        return {};
    }

    // Go only ends a word at one of these; "{{.A=1}}" is a bad character, not an assignment.
    bool at_terminator() const {
        if (pos_ >= source_.size()) return true;
        char c = source_[pos_];
        if (is_space(c) || c == '.' || c == ',' || c == '|' || c == ':' || c == ')' || c == '(')
            return true;
        return source_.substr(pos_).starts_with("}}");
    }

    Result<void> check_terminator() const {
        if (at_terminator()) return {};
        return fail(error(pos_, bad_character(source_[pos_])));
    }

    static std::string bad_character(char c) {
        char buffer[32];
        auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f)
            std::snprintf(buffer, sizeof buffer, "bad character U+%04X '%c'", byte, c);
        else
            std::snprintf(buffer, sizeof buffer, "bad character U+%04X", byte);
        return buffer;
    }

    size_t word_end(size_t from) const {
        while (from < source_.size() && is_alnum(source_[from]))
            ++from;
        return from;
    }

    // long: one lexer state, a case per kind of character, as Go's text/template lexInsideAction.
    Result<void> lex_action() {
        int paren_depth = 0;
        while (true) {
            if (size_t delim = right_delim_length()) {
                if (paren_depth > 0) return fail(error(pos_, "unclosed left paren"));
                emit(Tok::RightDelim, pos_, pos_ + delim);
                pos_ += delim;
                trim_next_text_ = delim == 4;
                return {};
            }
            if (pos_ >= source_.size()) return fail(error(pos_, "unclosed action"));
            size_t start = pos_;
            char c = source_[pos_];
            if (is_space(c)) {
                do
                    ++pos_;
                while (pos_ < source_.size() && is_space(source_[pos_]) &&
                       right_delim_length() != 4);
                space_ = true;
                continue;
            }
            switch (c) {
                case '|':
                    ++pos_;
                    emit(Tok::Pipe, start, pos_);
                    continue;
                case ',':
                    ++pos_;
                    emit(Tok::Comma, start, pos_);
                    continue;
                case '=':
                    ++pos_;
                    emit(Tok::Assign, start, pos_);
                    continue;
                case '(':
                    ++paren_depth;
                    ++pos_;
                    emit(Tok::LeftParen, start, pos_);
                    continue;
                case ')':
                    if (--paren_depth < 0) return fail(error(pos_, "unexpected right paren"));
                    ++pos_;
                    emit(Tok::RightParen, start, pos_);
                    continue;
                case ':':
                    if (pos_ + 1 >= source_.size() || source_[pos_ + 1] != '=')
                        return fail(error(pos_, "expected :="));
                    pos_ += 2;
                    emit(Tok::Declare, start, pos_);
                    continue;
                case '"':
                case '`':
                case '\'':
                    TRY(lex_quoted(c));
                    continue;
                case '$':
                    pos_ = word_end(pos_ + 1);
                    TRY(check_terminator());
                    emit(Tok::Variable, start, pos_,
                         std::string(source_.substr(start, pos_ - start)));
                    continue;
                default:
                    break;
            }
            bool digit_follows = pos_ + 1 < source_.size() && is_digit(source_[pos_ + 1]);
            if (c == '.' && !digit_follows) {
                pos_ = word_end(pos_ + 1);
                TRY(check_terminator());
                if (pos_ == start + 1)
                    emit(Tok::Dot, start, pos_);
                else
                    emit(Tok::Field, start, pos_,
                         std::string(source_.substr(start + 1, pos_ - start - 1)));
                continue;
            }
            if (is_digit(c) || c == '.' || c == '+' || c == '-') {
                TRY(lex_number());
                continue;
            }
            if (is_alnum(c)) {
                pos_ = word_end(pos_);
                TRY(check_terminator());
                std::string word(source_.substr(start, pos_ - start));
                if (word == "true" || word == "false")
                    emit(Tok::Literal, start, pos_, word, Json(word == "true"));
                else if (word == "nil")
                    emit(Tok::Nil, start, pos_, word);
                else if (std::ranges::find(kKeywords, word) != std::end(kKeywords))
                    emit(Tok::Keyword, start, pos_, word);
                else
                    emit(Tok::Identifier, start, pos_, word);
                continue;
            }
            return fail(error(pos_, bad_character(c)));
        }
    }

    Result<void> lex_number() {
        size_t start = pos_;
        auto accept = [&](std::string_view set) {
            if (pos_ < source_.size() && set.find(source_[pos_]) != std::string_view::npos) {
                ++pos_;
                return true;
            }
            return false;
        };
        auto accept_run = [&](std::string_view set) {
            while (accept(set)) {
            }
        };
        accept("+-");
        std::string_view digits = "0123456789_";
        if (accept("0")) {
            if (accept("xX"))
                digits = "0123456789abcdefABCDEF_";
            else if (accept("oO"))
                digits = "01234567_";
            else if (accept("bB"))
                digits = "01_";
        }
        accept_run(digits);
        if (accept(".")) accept_run(digits);
        if (digits.size() == 11 && accept("eE")) {
            accept("+-");
            accept_run("0123456789_");
        }
        std::string_view text = source_.substr(start, pos_ - start);
        if (pos_ < source_.size() && is_alnum(source_[pos_])) {
            ++pos_;
            return fail(error(start, "bad number syntax: \"" +
                                         std::string(source_.substr(start, pos_ - start)) + "\""));
        }
        auto number = parse_number(text);
        if (!number)
            return fail(error(start, "illegal number syntax: \"" + std::string(text) + "\""));
        emit(Tok::Literal, start, pos_, std::string(text), std::move(*number));
        return {};
    }

    // "string", `raw string` or 'c' (a character, which is a number as in Go).
    Result<void> lex_quoted(char quote) {
        size_t start = pos_++;
        while (true) {
            if (pos_ >= source_.size() || (quote != '`' && source_[pos_] == '\n')) {
                return fail(error(start, quote == '"'   ? "unterminated quoted string"
                                         : quote == '`' ? "unterminated raw quoted string"
                                                        : "unterminated character constant"));
            }
            char c = source_[pos_++];
            if (c == quote) break;
            if (c == '\\' && quote != '`' && pos_ < source_.size() && source_[pos_] != '\n') ++pos_;
        }
        std::string_view body = source_.substr(start + 1, pos_ - start - 2);
        std::string text;
        if (quote == '`') {
            for (char c : body)
                if (c != '\r') text += c;
        } else if (!unescape(body, quote, text)) {
            return fail(error(start, "invalid syntax"));
        }
        std::string raw(source_.substr(start, pos_ - start));
        if (quote != '\'') {
            emit(Tok::Literal, start, pos_, raw, Json(std::move(text)));
            return {};
        }
        // A character constant is its code point.
        uint32_t rune = 0;
        size_t length = 0;
        auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
        if (!text.empty()) {
            length = byte(0) >= 0xf0 ? 4 : byte(0) >= 0xe0 ? 3 : byte(0) >= 0xc0 ? 2 : 1;
            rune = length == 1 ? byte(0) : byte(0) & (0x7f >> length);
            for (size_t k = 1; k < length && k < text.size(); ++k)
                rune = (rune << 6) | (byte(k) & 0x3f);
        }
        if (text.empty() || length != text.size())
            return fail(error(start, "malformed character constant: " + raw));
        emit(Tok::Literal, start, pos_, raw, Json(static_cast<int64_t>(rune)));
        return {};
    }

    std::string_view source_;
    size_t pos_ = 0;
    bool space_ = false;
    bool trim_next_text_ = false;
    std::vector<Token> tokens_;
};

class Parser {
  public:
    Parser(std::string_view source, std::vector<Token> tokens)
        : source_(source), tokens_(std::move(tokens)) {}

    Result<List> run() {
        List root;
        End end = TRY(parse_list(root));
        if (end == End::End) return fail(error(previous(), "unexpected {{end}}"));
        if (end == End::Else) return fail(error(previous(), "unexpected {{else}}"));
        return root;
    }

  private:
    enum class End { Eof, End, Else };

    const Token& peek() const { return tokens_[index_]; }
    const Token& next() {
        const Token& token = tokens_[index_];
        if (token.type != Tok::Eof) ++index_;
        return token;
    }
    const Token& previous() const { return tokens_[index_ > 0 ? index_ - 1 : 0]; }

    Error error(const Token& at, const std::string& message) const {
        return error_at_line(source_, at.pos, message);
    }

    // How Go names a token in "unexpected X in Y".
    std::string describe(const Token& token) const {
        if (token.type == Tok::Eof) return "EOF";
        std::string text(source_.substr(token.pos, token.end - token.pos));
        if (token.type == Tok::Keyword) return "<" + text + ">";
        if (text.size() > 10) return "\"" + text.substr(0, 10) + "\"...";
        return "\"" + text + "\"";
    }

    // Go's %q for the plain ASCII of template source.
    static std::string quote(std::string_view text) {
        std::string out = "\"";
        for (char c : text) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        return out + "\"";
    }

    Result<void> expect(Tok type, std::string_view context) {
        const Token& token = next();
        if (token.type == type) return {};
        return fail(error(token, "unexpected " + describe(token) + " in " + std::string(context)));
    }

    static bool starts_operand(Tok type) {
        return type == Tok::Identifier || type == Tok::Field || type == Tok::Variable ||
               type == Tok::Dot || type == Tok::Literal || type == Tok::Nil ||
               type == Tok::LeftParen;
    }

    bool declared(const std::string& name) const {
        return std::ranges::find(variables_, name) != variables_.end();
    }

    // Parses nodes into `list` up to {{end}} (consumed), {{else (consumed up to the keyword), or
    // the end of the text.
    Result<End> parse_list(List& list) {
        while (true) {
            const Token& token = next();
            if (token.type == Tok::Eof) return End::Eof;
            if (token.type == Tok::Text) {
                list.push_back(
                    Node{.kind = Node::Kind::Text, .pos = token.pos, .text = token.value});
                continue;
            }
            // The lexer emits only text, actions and the end at this level.
            auto end = TRY(parse_action(list));
            if (end) return *end;
        }
    }

    Result<std::optional<End>> parse_action(List& list) {
        const Token& token = peek();
        if (token.type == Tok::Keyword) {
            next();
            const std::string& word = token.value;
            if (word == "end") {
                TRY(expect(Tok::RightDelim, "end"));
                return End::End;
            }
            if (word == "else") return End::Else;
            if (word == "if" || word == "range" || word == "with") {
                Node::Kind kind = word == "if"      ? Node::Kind::If
                                  : word == "range" ? Node::Kind::Range
                                                    : Node::Kind::With;
                list.push_back(TRY(parse_control(kind, token.pos)));
                return std::nullopt;
            }
            if (word == "break" || word == "continue") {
                if (range_depth_ == 0)
                    return fail(error(token, "{{" + word + "}} outside {{range}}"));
                TRY(expect(Tok::RightDelim, word));
                list.push_back(
                    Node{.kind = word == "break" ? Node::Kind::Break : Node::Kind::Continue,
                         .pos = token.pos});
                return std::nullopt;
            }
            return fail(error(token, "{{" + word + "}} is not supported"));
        }
        Node action{.kind = Node::Kind::Action, .pos = token.pos};
        action.pipeline = TRY(parse_pipeline("command", Tok::RightDelim, false));
        list.push_back(std::move(action));
        return std::nullopt;
    }

    // {{if|range|with pipeline}} list [{{else}} list | {{else if|with ...}}] {{end}}
    Result<Node> parse_control(Node::Kind kind, size_t pos) {
        std::string_view context = kind == Node::Kind::If      ? "if"
                                   : kind == Node::Kind::Range ? "range"
                                                               : "with";
        size_t scope = variables_.size();  // variables declared here live until {{end}}
        Node node{.kind = kind, .pos = pos};
        node.pipeline = TRY(parse_pipeline(context, Tok::RightDelim, kind == Node::Kind::Range));
        if (kind == Node::Kind::Range) ++range_depth_;
        End end = TRY(parse_list(node.list));
        if (kind == Node::Kind::Range) --range_depth_;
        if (end == End::Eof) return fail(error(peek(), "unexpected EOF"));
        if (end == End::Else) {
            // "{{else if x}}" is "{{else}}{{if x}}...{{end}}" sharing the one {{end}}.
            const Token& token = peek();
            if (token.type == Tok::Keyword && token.value == context && kind != Node::Kind::Range) {
                next();
                node.else_list.push_back(TRY(parse_control(kind, token.pos)));
            } else {
                TRY(expect(Tok::RightDelim, "else"));
                End else_end = TRY(parse_list(node.else_list));
                if (else_end == End::Eof) return fail(error(peek(), "unexpected EOF"));
                if (else_end == End::Else)
                    return fail(error(previous(), "expected end; found {{else}}"));
            }
        }
        variables_.resize(scope);
        return node;
    }

    Result<Pipeline> parse_pipeline(std::string_view context, Tok end, bool range) {
        Pipeline pipeline{.pos = peek().pos};
        if (peek().type == Tok::Variable) TRY(parse_declaration(pipeline, context, range));
        while (true) {
            const Token& token = peek();
            if (token.type == end) {
                next();
                break;
            }
            if (!starts_operand(token.type))
                return fail(
                    error(token, "unexpected " + describe(token) + " in " + std::string(context)));
            pipeline.commands.push_back(TRY(parse_command(end)));
        }
        if (pipeline.commands.empty())
            return fail(error(previous(), "missing value for " + std::string(context)));
        // Only the first command may be a plain value: ".A | "x"" cannot call "x".
        for (size_t i = 1; i < pipeline.commands.size(); ++i) {
            Operand::Kind kind = pipeline.commands[i].args[0].kind;
            if (kind == Operand::Kind::Dot || kind == Operand::Kind::Nil ||
                kind == Operand::Kind::Literal) {
                return fail(error_at_line(
                    source_, pipeline.commands[i].pos,
                    "non executable command in pipeline stage " + std::to_string(i + 1)));
            }
        }
        if (!pipeline.assign)
            for (const std::string& name : pipeline.variables)
                variables_.push_back(name);
        return pipeline;
    }

    // "$x :=", "$x =", and in range "$k, $v :=". Leaves the tokens alone if none of these.
    Result<void> parse_declaration(Pipeline& pipeline, std::string_view context, bool range) {
        size_t save = index_;
        std::vector<std::string> names{next().value};
        if (peek().type == Tok::Comma) {
            if (!range)
                return fail(error(peek(), "too many declarations in " + std::string(context)));
            next();
            if (peek().type != Tok::Variable)
                return fail(error(peek(), "range can only initialize variables"));
            names.push_back(next().value);
            if (peek().type != Tok::Declare && peek().type != Tok::Assign)
                return fail(error(peek(), "unexpected " + describe(peek()) + " in range"));
        }
        if (peek().type != Tok::Declare && peek().type != Tok::Assign) {
            index_ = save;
            return {};
        }
        pipeline.assign = next().type == Tok::Assign;
        if (pipeline.assign)
            for (const std::string& name : names)
                if (!declared(name))
                    return fail(error(tokens_[save], "undefined variable \"" + name + "\""));
        pipeline.variables = std::move(names);
        return {};
    }

    Result<Command> parse_command(Tok end) {
        Command command{.pos = peek().pos};
        while (true) {
            auto operand = TRY(parse_operand());
            if (!operand)
                return fail(error(peek(), "unexpected " + describe(peek()) + " in operand"));
            command.args.push_back(std::move(*operand));
            const Token& token = peek();
            if (token.type == end) break;
            if (token.type == Tok::Pipe) {
                next();
                if (peek().type == end) return fail(error(peek(), "missing value for command"));
                break;
            }
            if (!token.space_before || !starts_operand(token.type))
                return fail(error(token, "unexpected " + describe(token) + " in operand"));
        }
        size_t text_end = command.args.back().pos + command.args.back().text.size();
        command.text = std::string(source_.substr(command.pos, text_end - command.pos));
        return command;
    }

    Result<std::optional<Operand>> parse_operand() {
        const Token& token = peek();
        Operand operand{.pos = token.pos};
        switch (token.type) {
            case Tok::Identifier:
                if (!is_function(token.value))
                    return fail(error(token, "function \"" + token.value + "\" not defined"));
                operand.kind = Operand::Kind::Function;
                operand.name = token.value;
                break;
            case Tok::Dot:
                operand.kind = Operand::Kind::Dot;
                break;
            case Tok::Nil:
                operand.kind = Operand::Kind::Nil;
                break;
            case Tok::Literal:
                operand.kind = Operand::Kind::Literal;
                operand.literal = token.literal;
                break;
            case Tok::Field:
                operand.kind = Operand::Kind::Field;
                operand.fields.push_back(token.value);
                break;
            case Tok::Variable:
                if (!declared(token.value))
                    return fail(error(token, "undefined variable \"" + token.value + "\""));
                operand.kind = Operand::Kind::Variable;
                operand.name = token.value;
                break;
            case Tok::LeftParen: {
                next();
                operand.kind = Operand::Kind::Group;
                auto group = TRY(parse_pipeline("parenthesized pipeline", Tok::RightParen, false));
                operand.group = std::make_shared<const Pipeline>(std::move(group));
                break;
            }
            default:
                return std::nullopt;
        }
        if (token.type != Tok::LeftParen) next();
        while (peek().type == Tok::Field && !peek().space_before) {
            Operand::Kind kind = operand.kind;
            if (kind == Operand::Kind::Dot || kind == Operand::Kind::Nil ||
                kind == Operand::Kind::Literal) {
                std::string term(source_.substr(operand.pos, previous().end - operand.pos));
                return fail(error(peek(), "unexpected . after term " + quote(term)));
            }
            operand.fields.push_back(next().value);
        }
        operand.text = std::string(source_.substr(operand.pos, previous().end - operand.pos));
        return operand;
    }

    std::string_view source_;
    std::vector<Token> tokens_;
    size_t index_ = 0;
    std::vector<std::string> variables_{"$"};
    int range_depth_ = 0;
};

}  // namespace
}  // namespace gotmpl

Result<Template> Template::parse(std::string_view text) {
    auto tree = std::make_shared<gotmpl::Tree>();
    tree->source = std::string(text);
    auto tokens = TRY(gotmpl::Lexer(tree->source).run());
    tree->root = TRY(gotmpl::Parser(tree->source, std::move(tokens)).run());
    return Template(std::move(tree));
}

}  // namespace berth::cli
