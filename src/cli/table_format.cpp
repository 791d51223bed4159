#include "cli/table_format.h"

#include <algorithm>

namespace berth::cli {
namespace {

constexpr size_t kMinWidth = 10;
constexpr size_t kPadding = 3;

struct Cell {
    std::string_view text;
    size_t width;  // in UTF-8 characters
};

using Line = std::vector<Cell>;

size_t char_count(std::string_view text) {
    return static_cast<size_t>(std::ranges::count_if(
        text, [](char c) { return (static_cast<unsigned char>(c) & 0xc0) != 0x80; }));
}

// Column widths are decided per block: the run of consecutive lines that have a cell in that
// column (a line's last cell never counts, it is not ended by a tab). Within a block the next
// column's blocks are found the same way, recursively, as tabwriter does.
class Aligner {
  public:
    Aligner(const std::vector<Line>& lines, bool terminate_last)
        : lines_(lines), terminate_last_(terminate_last) {}

    std::string run() {
        format(0, lines_.size());
        return std::move(out_);
    }

  private:
    bool has_column(size_t line, size_t column) const { return column + 1 < lines_[line].size(); }

    void format(size_t line0, size_t line1) {
        size_t column = widths_.size();
        for (size_t current = line0; current < line1; ++current) {
            if (!has_column(current, column)) continue;
            write_lines(line0, current);
            line0 = current;
            size_t width = kMinWidth;
            for (; current < line1 && has_column(current, column); ++current)
                width = std::max(width, lines_[current][column].width + kPadding);
            widths_.push_back(width);
            format(line0, current);
            widths_.pop_back();
            line0 = current;
        }
        write_lines(line0, line1);
    }

    void write_lines(size_t line0, size_t line1) {
        for (size_t i = line0; i < line1; ++i) {
            const Line& line = lines_[i];
            for (size_t j = 0; j < line.size(); ++j) {
                out_ += line[j].text;
                if (j < widths_.size()) out_.append(widths_[j] - line[j].width, ' ');
            }
            if (i + 1 < lines_.size() || terminate_last_) out_ += '\n';
        }
    }

    const std::vector<Line>& lines_;
    bool terminate_last_;
    std::vector<size_t> widths_;
    std::string out_;
};

Line split_cells(std::string_view line) {
    Line cells;
    while (true) {
        size_t tab = line.find('\t');
        std::string_view text = line.substr(0, tab);
        cells.push_back(Cell{text, char_count(text)});
        if (tab == std::string_view::npos) return cells;
        line.remove_prefix(tab + 1);
    }
}

}  // namespace

FormatSpec parse_format(std::string_view format) {
    FormatSpec spec;
    std::string_view body = format;
    if (body.starts_with("table")) {
        spec.table = true;
        body.remove_prefix(5);
    } else if (body == "json") {
        body = "{{json .}}";
    }
    while (!body.empty() && body.front() == ' ')
        body.remove_prefix(1);
    while (!body.empty() && body.back() == ' ')
        body.remove_suffix(1);
    for (size_t i = 0; i < body.size(); ++i) {
        if (body[i] == '\\' && i + 1 < body.size() && (body[i + 1] == 't' || body[i + 1] == 'n')) {
            spec.body += body[i + 1] == 't' ? '\t' : '\n';
            ++i;
        } else {
            spec.body += body[i];
        }
    }
    return spec;
}

std::string tabwrite(std::string_view text) {
    std::vector<Line> lines;
    while (true) {
        size_t newline = text.find('\n');
        lines.push_back(split_cells(text.substr(0, newline)));
        if (newline == std::string_view::npos) break;
        text.remove_prefix(newline + 1);
    }
    return Aligner(lines, false).run();
}

std::string render_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<Line> lines;
    lines.reserve(rows.size());
    for (const auto& row : rows) {
        Line line;
        for (const std::string& cell : row)
            line.push_back(Cell{cell, char_count(cell)});
        if (line.empty()) line.push_back(Cell{"", 0});
        lines.push_back(std::move(line));
    }
    return Aligner(lines, true).run();
}

}  // namespace berth::cli
