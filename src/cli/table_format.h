// docker's `--format` conventions for list commands (ps, images, volume ls, ...): the "table"
// prefix, the "json" shorthand, and columns aligned as Go's tabwriter aligns them with docker's
// settings (tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::cli {

struct FormatSpec {
    bool table = false;  // print a header row and align the columns
    std::string body;    // the template to render for each row (and, for tables, the header)
};

// "table {{.ID}}\t{{.Image}}" -> {true, "{{.ID}}\t{{.Image}}"}; "json" -> {false, "{{json .}}"}.
// As docker does: surrounding spaces go, and the two-character sequences \t and \n become a tab
// and a newline (so a shell-quoted '{{.ID}}\t{{.Name}}' works). A table with an empty body means
// the command's default columns.
FormatSpec parse_format(std::string_view format);

// Aligns tab-separated cells as Go's tabwriter does with docker's settings: a cell is text ended
// by a tab; each column of a block of consecutive lines that have it is as wide as its widest
// cell plus 3, and at least 10; the text after a line's last tab is not part of a column and is
// not padded. Widths count UTF-8 characters. Text after the last newline is kept unterminated.
std::string tabwrite(std::string_view text);

// The same over rows of cells: each row's cells joined by tabs and ended by a newline.
std::string render_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace berth::cli
