// The CSV reader and the feature scalers: what they accept, what they refuse, and how they say so.
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <tensorguard/tensorguard.hpp>
#include <vector>

using namespace tensorguard;
using Catch::Contains;

namespace {

// A CSV file written byte for byte (binary mode keeps the line ends) and removed afterwards.
// Test cases may run in parallel processes, so each name is unique and carries the process id.
struct CsvFile {
  std::string path;
  CsvFile(const std::string& name, const std::string& bytes)
      : path((std::filesystem::temp_directory_path() /
              ("tg_csv_" + std::to_string(::getpid()) + "_" + name + ".csv"))
                 .string()) {
    std::ofstream(path, std::ios::binary) << bytes;
  }
  ~CsvFile() { std::filesystem::remove(path); }
};

using Iris = Dataset<Shape<2>, ClassIndex<3>>;

Iris read_iris(const std::string& name, const std::string& bytes, data::CsvOptions options = {}) {
  CsvFile file(name, bytes);
  return data::read_csv<Shape<2>, ClassIndex<3>>(file.path, options);
}

std::size_t count_nonfinite(std::span<const float> values) {
  std::size_t n = 0;
  for (float v : values) n += !std::isfinite(v);
  return n;
}

}  // namespace

// ----------------------------------------------------------------------------------------------
// Label cells

TEST_CASE("A class label that is missing or not a finite number is refused naming the cell",
          "[csv][labels]") {
  const std::string missing = "a label cannot be missing (drop the row)";
  const std::string range = "ClassIndex<3> labels are whole numbers in [0, 3)";
  const std::string names =
      "ClassIndex<3> labels are class indices 0..2: map class names to "
      "indices before reading (e.g. 'abc' -> 0)";
  const std::array<std::array<std::string, 3>, 6> cases = {{
      {"NA", "is a missing value (one of CsvOptions::na_tokens)", missing},
      {"", "is a missing value (one of CsvOptions::na_tokens)", missing},
      {"inf", "is not a finite number", range},
      {"nan(1)", "is not a finite number", range},
      {"abc", "is not a number", names},
      {"1e999", "is outside the range of a double", range},
  }};
  for (const auto& [cell, why, reason] : cases) {
    INFO("label cell: " << cell);
    const std::string text = std::string("x,y,label\n1,2,0\n3,4,") + cell + "\n";
    CsvFile file("label_missing", text);
    CHECK_THROWS_WITH((data::read_csv<Shape<2>, ClassIndex<3>>(file.path)),
                      Contains(file.path) && Contains("line 3, column 3") &&
                          Contains("'" + cell + "' " + why + "; " + reason));
    if (reason != missing)
      CHECK_THROWS_WITH((data::read_csv<Shape<2>, ClassIndex<3>>(file.path)),
                        !Contains("cannot be missing"));
  }
}

TEST_CASE("Each kind of bad class label is refused with its own reason", "[csv][labels]") {
  auto read = [](const std::string& label) {
    return data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1,2,0\n1,2," + label + "\n");
  };
  // Not whole: the reason is that class labels are whole numbers.
  CHECK_THROWS_WITH(read("2.5"), Contains("line 3, column 3: label '2.5' is not a whole number; "
                                          "ClassIndex<3> labels are whole numbers (class "
                                          "indices in [0, 3))") &&
                                     !Contains("missing"));
  // Out of range: the renumbering hint only for K itself, the likely last class of a 1-based file.
  CHECK_THROWS_WITH(read("-1"), Contains("label '-1' is outside [0, 3); ClassIndex<3> labels are "
                                         "whole numbers in [0, 3)") &&
                                    !Contains("renumber") && !Contains("missing"));
  CHECK_THROWS_WITH(read("7"), Contains("label '7' is outside [0, 3)") && !Contains("renumber"));
  CHECK_THROWS_WITH(read("3"), Contains("label '3' is outside [0, 3)") &&
                                   Contains("If the file numbers classes from 1, renumber them "
                                            "from 0 (3 is K, one past the last index 2)"));
  // Missing: drop the row.
  CHECK_THROWS_WITH(read("NA"), Contains("'NA' is a missing value (one of CsvOptions::na_tokens); "
                                         "a label cannot be missing (drop the row)"));
  // A class name: map names to indices first.
  for (const std::string name : {"setosa", "Iris-setosa", " versicolor "}) {
    INFO("label cell: " << name);
    CHECK_THROWS_WITH(read(name), Contains("is not a number; ClassIndex<3> labels are class "
                                           "indices 0..2: map class names to indices before "
                                           "reading (e.g. '") &&
                                      !Contains("missing"));
  }
  CHECK_THROWS_WITH(read("setosa"), Contains("(e.g. 'setosa' -> 0)"));
  // Text that is not a name (a mistyped number) gets the range instead.
  CHECK_THROWS_WITH(read("0x1A"), Contains("'0x1A' is not a number; ClassIndex<3> labels are "
                                           "whole numbers in [0, 3)"));
  // Binary labels: names and other numbers have their own reasons too.
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, Binary>("x,y\n5,yes\n")),
                    Contains("'yes' is not a number; a Binary label is 0 or 1: map the two class "
                             "names to 0 and 1 before reading") &&
                        !Contains("missing"));
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, Binary>("x,y\n5,2\n")),
                    Contains("label '2' is not 0 or 1") && !Contains("missing"));
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, Real<Shape<1>>>("x,y\n5,abc\n")),
                    Contains("'abc' is not a number; Real<Shape<1>> labels are finite numbers") &&
                        !Contains("missing"));
}

TEST_CASE("A class label must be a whole number filling its cell", "[csv][labels]") {
  // The audit's examples: each used to be read as the number it starts with.
  for (const char* cell : {"3abc", "1973-05-01", "0x1A", "1 2", "1e", "--1", "+-1"}) {
    INFO("label cell: " << cell);
    CHECK_THROWS_WITH(
        (data::parse_csv<Shape<2>, ClassIndex<3>>(std::string("x,y,c\n1,2,") + cell + "\n")),
        Contains("line 2, column 3") && Contains("'" + std::string(cell) + "' is not a number"));
  }
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1,2,1.9\n")),
                    Contains("line 2, column 3: label '1.9' is not a whole number"));
  // A whole number written as a decimal or with an exponent is that class.
  const auto d = data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1,2,1.0\n1,2, 2 \n1,2,1e0\n");
  REQUIRE(d.size() == 3);
  CHECK(d.label(0)[0] == 1);
  CHECK(d.label(1)[0] == 2);
  CHECK(d.label(2)[0] == 1);
}

TEST_CASE("A class label outside 0 to K-1 is refused when the file is read", "[csv][labels]") {
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1,2,0\n1,2,3\n")),
                    Contains("line 3, column 3: label '3' is outside [0, 3)") &&
                        Contains("If the file numbers classes from 1, renumber them from 0"));
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1,2,-1\n")),
                    Contains("label '-1' is outside [0, 3)"));
  // Beyond the int32 a class index is stored in: refused, not wrapped.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1,2,1e12\n")),
                    Contains("label '1e12' is outside [0, 3)"));
}

TEST_CASE("A Binary label is 0 or 1", "[csv][labels]") {
  using D = Dataset<Shape<1>, Binary>;
  const D d = data::parse_csv<Shape<1>, Binary>("x,y\n5,1\n6,0.0\n");
  REQUIRE(d.size() == 2);
  CHECK(d.label(0)[0] == 1.0f);
  CHECK(d.label(1)[0] == 0.0f);
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, Binary>("x,y\n5,0.5\n")),
                    Contains("line 2, column 2: label '0.5' is not 0 or 1"));
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, Binary>("x,y\n5,NA\n")),
                    Contains("'NA' is a missing value") &&
                        Contains("a Binary label is 0 or 1 and cannot be missing"));
}

TEST_CASE("OneHot and Real labels are finite numbers and cannot be missing", "[csv][labels]") {
  const auto onehot = data::parse_csv<Shape<1>, OneHot<2>>("x,a,b\n7,0.9,0.1\n");
  REQUIRE(onehot.size() == 1);
  CHECK(onehot.label(0)[0] == Approx(0.9));
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, OneHot<2>>("x,a,b\n7,inf,0\n")),
                    Contains("line 2, column 2: 'inf' is not a finite number"));

  const auto real = data::parse_csv<Shape<1>, Real<Shape<2>>>("x,y1,y2\n7,-2.5,1e3\n");
  REQUIRE(real.size() == 1);
  CHECK(real.label(0)[0] == -2.5f);
  CHECK(real.label(0)[1] == 1000.0f);
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, Real<Shape<2>>>("x,y1,y2\n7,1,NA\n")),
                    Contains("line 2, column 3: 'NA' is a missing value") &&
                        Contains("Real<Shape<2>> labels are finite numbers and cannot be missing"));
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, Real<Shape<2>>>("x,y1,y2\n7,1,-1e999\n")),
                    Contains("'-1e999' is outside the range of a double"));
}

// ----------------------------------------------------------------------------------------------
// Feature cells

TEST_CASE("Text in a feature cell is refused naming the file, line, column and text",
          "[csv][features]") {
  CsvFile file("feature_text", "x,y,label\n1,2,0\n3,abc,1\n");
  CHECK_THROWS_WITH(
      (data::read_csv<Shape<2>, ClassIndex<3>>(file.path)),
      Contains("read_csv: '" + file.path + "' line 3, column 2: 'abc' is not a number") &&
          Contains("add the text to CsvOptions::na_tokens"));
  // With the labels first, the columns are still counted in the file's order.
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<2>, ClassIndex<3>>("c,x,y\n0,1,oops\n", {.labels_first = true})),
      Contains("line 2, column 3: 'oops' is not a number"));
}

TEST_CASE("A feature number must fill its cell; spaces, signs and exponents are fine",
          "[csv][features]") {
  const auto d =
      data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n 1e3 ,-2.5,0\n+4,.5,1\n\t7.\t,-0,2\n");
  REQUIRE(d.size() == 3);
  CHECK(d.input(0)[0] == 1000.0f);
  CHECK(d.input(0)[1] == -2.5f);
  CHECK(d.input(1)[0] == 4.0f);
  CHECK(d.input(1)[1] == 0.5f);
  CHECK(d.input(2)[0] == 7.0f);
  for (const char* cell : {"3abc", "1973-05-01", "0x1A", "inf", "-Infinity", "1,5", "1e"}) {
    INFO("feature cell: " << cell);
    const std::string text = std::string("x;y;c\n1;") + cell + ";0\n";
    CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>(text, {.delimiter = ';'})),
                      Contains("line 2, column 2: '" + std::string(cell) + "'"));
  }
}

TEST_CASE("Missing-value tokens become NaN in feature cells, and the tokens are configurable",
          "[csv][features]") {
  const auto d =
      data::parse_csv<Shape<6>, ClassIndex<3>>("a,b,c,d,e,f,label\nNA,,nan,?,null, N/A ,1\n");
  REQUIRE(d.size() == 1);
  for (std::size_t f = 0; f < 6; ++f) CHECK(std::isnan(d.input(0)[f]));
  CHECK(d.label(0)[0] == 1);

  const data::CsvOptions sentinel{.na_tokens = {"-999"}};
  const auto s = data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n-999,4,0\n", sentinel);
  CHECK(std::isnan(s.input(0)[0]));
  CHECK(s.input(0)[1] == 4.0f);
  // Tokens not in the list are text again.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\nNA,4,0\n", sentinel)),
                    Contains("'NA' is not a number") && Contains("('-999')"));
}

TEST_CASE("A number beyond the range of a double or of the dataset's scalar type is refused",
          "[csv][features]") {
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1e999,1,0\n")),
                    Contains("line 2, column 1: '1e999' is outside the range of a double"));
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1,1e39,0\n")),
      Contains("line 2, column 2: '1e39' is too large for the dataset's scalar type"));
  const auto d = data::parse_csv<Shape<2>, ClassIndex<3>, double>("x,y,c\n1,1e39,0\n");
  CHECK(d.input(0)[1] == 1e39);
}

TEST_CASE("A decimal comma is refused with a hint to write a decimal point", "[csv][features]") {
  const data::CsvOptions semicolons{.delimiter = ';'};
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x;y;c\n5,1;3,5;0\n", semicolons)),
                    Contains("line 2, column 1: '5,1' is not a number (decimal commas are not "
                             "read: write 5.1); a feature must be"));
  // A header-less file of them is data (a decimal comma counts as a number when the header is
  // detected), so the comma is what is reported, on line 1.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>(" -0,25 ;3,5;0\n", semicolons)),
                    Contains("line 1, column 1: ' -0,25 ' is not a number (decimal commas are not "
                             "read: write -0.25)"));
  // Quoted in a comma-separated file, too; three digits after the comma may be thousands.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1,\"1,000\",0\n")),
                    Contains("line 2, column 2: '1,000' is not a number (decimal commas are not "
                             "read: write 1.000, or 1000 if the comma separates thousands)"));
  // In a label cell as well.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x;y;c\n5;3;1,0\n", semicolons)),
                    Contains("line 2, column 3: '1,0' is not a number (decimal commas are not "
                             "read: write 1.0); ClassIndex<3> labels are whole numbers"));
  // Other text with a comma gets no such hint.
  for (const char* cell : {"1,2,3", ",5", "5,", "a,1", "1,5e3"}) {
    INFO("feature cell: " << cell);
    CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>(
                          std::string("x;y;c\n1;") + cell + ";0\n", semicolons)),
                      Contains("is not a number") && !Contains("decimal comma"));
  }
}

// ----------------------------------------------------------------------------------------------
// Line ends, quoting, byte order mark

TEST_CASE("CR-only line ends are read like LF", "[csv][lines]") {
  const auto d = read_iris("cr_only", "x,y,c\r1,2,0\r3,4,1\r");
  REQUIRE(d.size() == 2);
  CHECK(d.input(1)[0] == 3.0f);
  CHECK(d.label(1)[0] == 1);
  CHECK_THROWS_WITH(read_iris("cr_only_bad", "x,y,c\r1,2,0\r3,x,1\r"),
                    Contains("line 3, column 2: 'x'"));
}

TEST_CASE("CRLF line ends are read like LF, and mixed line ends too", "[csv][lines]") {
  const auto d = read_iris("crlf", "x,y,c\r\n1,2,0\r\n3,4,1\r\n");
  REQUIRE(d.size() == 2);
  CHECK(d.input(0)[1] == 2.0f);
  CHECK(d.label(1)[0] == 1);
  const auto mixed = read_iris("mixed", "x,y,c\n1,2,0\r\n3,4,1\r5,6,2");
  REQUIRE(mixed.size() == 3);
  CHECK(mixed.label(2)[0] == 2);
}

TEST_CASE("A UTF-8 byte order mark at the start of the file is skipped", "[csv][lines]") {
  const auto d = read_iris("bom",
                           "\xEF\xBB\xBF"
                           "1,2,0\n3,4,1\n",
                           {.header = false});
  REQUIRE(d.size() == 2);
  CHECK(d.input(0)[0] == 1.0f);
  const auto named = read_iris("bom_header", "\xEF\xBB\xBF\"x\",\"y\",\"c\"\n1,2,0\n");
  CHECK(named.size() == 1);
}

TEST_CASE("Quoted fields may hold the delimiter, doubled quotes and line breaks", "[csv][quotes]") {
  const std::string text =
      "\"width, cm\",\"the \"\"height\"\"\",\"class\nlabel\"\n"
      "\"1.5\",2,\"0\"\n"
      "\"\",\"3\" ,1\n";
  const auto d = read_iris("quoted", text);
  REQUIRE(d.size() == 2);
  CHECK(d.input(0)[0] == 1.5f);
  CHECK(d.label(0)[0] == 0);
  CHECK(std::isnan(d.input(1)[0]));  // a quoted empty field is missing
  CHECK(d.input(1)[1] == 3.0f);
  // A quoted text cell is text all the same, shown with its quote and line break unescaped.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n\"a \"\"b\"\"\nc\",1,0\n")),
                    Contains("line 2, column 1: 'a \"b\"\\nc' is not a number"));
}

TEST_CASE("Line numbers in errors are the file's physical lines", "[csv][lines]") {
  // A quoted header over three lines and a blank line: the bad cell is on line 6.
  const std::string text = "\"x\ny\nz\",b,c\n1,2,0\n\n3,bad,1\n";
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>(text)),
                    Contains("line 6, column 2: 'bad'"));
  // A cell that starts on a later line of a multi-line record is named by its own line (here
  // after a missing-value token written over two lines).
  const data::CsvOptions two_line_token{.na_tokens = {"not\nmeasured"}};
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n\"not\nmeasured\",oops,0\n",
                                                              two_line_token)),
                    Contains("line 3, column 2: 'oops'"));
  // And text after a closing quote by the line it is on.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n\"1\r\n\"?,2,0\n")),
                    Contains("line 3, column 1: text '?'"));
  // So is a row of the wrong width after CR-only lines.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\r\r1,2,0\r1,2\r")),
                    Contains("line 4 has 2 columns"));
}

TEST_CASE("An unterminated quote is refused naming the line where it opens", "[csv][quotes]") {
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1,2,0\n3,\"4,1\n5,6,0\n")),
                    Contains("'<memory>' line 3, column 2: a quoted field opens here and is "
                             "never closed"));
}

TEST_CASE("Text after a closing quote is refused", "[csv][quotes]") {
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n\"1\"2,3,0\n")),
                    Contains("line 2, column 1: text '2' follows a closing quote"));
}

TEST_CASE("Blank lines are skipped wherever they are", "[csv][lines]") {
  const auto d = read_iris("blank", "\n\nx,y,c\n\n1,2,0\n  \n\t\n3,4,1\n\n\n");
  REQUIRE(d.size() == 2);
  CHECK(d.input(1)[1] == 4.0f);
}

TEST_CASE("Other delimiters: semicolons and tabs", "[csv][options]") {
  const auto semi = data::parse_csv<Shape<2>, ClassIndex<3>>("x;y;c\n1;2;0\n", {.delimiter = ';'});
  CHECK(semi.input(0)[1] == 2.0f);
  const auto tab =
      data::parse_csv<Shape<2>, ClassIndex<3>>("x\ty\tc\n1\t\t0\n", {.delimiter = '\t'});
  REQUIRE(tab.size() == 1);
  CHECK(std::isnan(tab.input(0)[1]));
  CHECK_THROWS_AS((data::parse_csv<Shape<2>, ClassIndex<3>>("1,2,0\n", {.delimiter = '"'})),
                  std::invalid_argument);
}

// ----------------------------------------------------------------------------------------------
// Header

TEST_CASE("A header-less file keeps all its rows with the default options", "[csv][header]") {
  const auto d = read_iris("no_header", "1,2,0\n3,4,1\n5,NA,2\n");
  REQUIRE(d.size() == 3);
  CHECK(d.input(0)[0] == 1.0f);
  CHECK(std::isnan(d.input(2)[1]));
}

TEST_CASE("A first row of text is a header; numbers and missing values are data", "[csv][header]") {
  // Text and missing values (pandas leaves the index column's name empty): a header.
  const auto named = data::parse_csv<Shape<2>, ClassIndex<3>>("x,,label\n1,2,0\n");
  REQUIRE(named.size() == 1);
  CHECK(named.input(0)[0] == 1.0f);
  // Named columns among numbered ones are ambiguous when detected; header = true reads them.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("0,1,label\n1,2,0\n")),
                    Contains("line 1 mixes numbers and text"));
  const auto numbered =
      data::parse_csv<Shape<2>, ClassIndex<3>>("0,1,label\n1,2,0\n", {.header = true});
  REQUIRE(numbered.size() == 1);
  CHECK(numbered.input(0)[0] == 1.0f);
  // A first row of numbers and missing values is data.
  const auto data_row = data::parse_csv<Shape<2>, ClassIndex<3>>("NA,1,2\n1,2,0\n");
  REQUIRE(data_row.size() == 2);
  CHECK(data_row.label(0)[0] == 2);
}

TEST_CASE("An explicit header = true on a first row of numbers is refused saying how to fix it",
          "[csv][header]") {
  CsvFile file("header_true", "1,2,0\n3,4,1\n");
  CHECK_THROWS_WITH((data::read_csv<Shape<2>, ClassIndex<3>>(file.path, {.header = true})),
                    Contains(file.path) && Contains("line 1: header = true") &&
                        Contains("holds only numbers") && Contains("set .header = false"));
}

TEST_CASE("An explicit header = false on a first row with text is refused naming the cell",
          "[csv][header]") {
  CsvFile file("header_false", "x,y,c\n3,4,1\n");
  CHECK_THROWS_WITH((data::read_csv<Shape<2>, ClassIndex<3>>(file.path, {.header = false})),
                    Contains(file.path) && Contains("line 1, column 1: header = false") &&
                        Contains("'x'") && Contains("set .header = true"));
}

TEST_CASE("A first row that mixes numbers and text is refused as ambiguous unless header is set",
          "[csv][header]") {
  // A header-less file whose first row has a typo: not silently taken as a header.
  const std::string text = "5.1,abc,1.4,0.2,0\n4.9,3,1.4,0.2,0\n";
  CsvFile file("mixed_first_row", text);
  CHECK_THROWS_WITH(
      (data::read_csv<Shape<4>, ClassIndex<3>>(file.path)),
      Contains("read_csv: '" + file.path +
               "' line 1 mixes numbers and text: column 1 holds "
               "'5.1', a number, and column 2 holds 'abc', which is not") &&
          Contains("set CsvOptions::header = true if it is a header, or header = false if it is "
                   "data (then 'abc' is reported as an error)"));
  // header = false: the row is data, and the text cell is the error.
  CHECK_THROWS_WITH((data::read_csv<Shape<4>, ClassIndex<3>>(file.path, {.header = false})),
                    Contains("line 1, column 2: 'abc' is not a number; a feature must be"));
  // header = true: it is a header.
  const auto d = data::read_csv<Shape<4>, ClassIndex<3>>(file.path, {.header = true});
  REQUIRE(d.size() == 1);
  CHECK(d.input(0)[0] == 4.9f);
  // The line named is the first record's, after blank lines; a text label makes it mixed too.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("\n\n1,2,setosa\n3,4,0\n")),
                    Contains("line 3 mixes numbers and text: column 1 holds '1'") &&
                        Contains("column 3 holds 'setosa'"));
  // header = false on a mixed row with a class name: the label error says to map names.
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<2>, ClassIndex<3>>("1,2,setosa\n3,4,0\n", {.header = false})),
      Contains("line 1, column 3: 'setosa' is not a number") &&
          Contains("map class names to indices"));
  // Missing values are neither numbers nor text: a row of text and NA tokens is a header.
  const auto na_header = data::parse_csv<Shape<2>, ClassIndex<3>>("NA,y,c\n1,2,0\n");
  CHECK(na_header.size() == 1);
}

TEST_CASE("A header whose width differs from the first data row is refused naming both counts",
          "[csv][header]") {
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<2>, ClassIndex<3>>("a,b,c\n1,2,0,5,6\n")),
      Contains("'<memory>' line 1 (the header) has 3 names but line 2 has 5 columns: every row "
               "needs one cell per name. The delimiter may be wrong (CsvOptions::delimiter is "
               "','), or a name or a cell holds the delimiter without quotes"));
  // A trailing delimiter in the header, after blank lines; an explicit header the same.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("\nx,y,c,\n\n1,2,0\n")),
                    Contains("line 2 (the header) has 4 names but line 4 has 3 columns"));
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y\n1,2,0\n", {.header = true})),
                    Contains("line 1 (the header) has 2 names but line 2 has 3 columns"));
  // One name: singular, and a hint when the header splits at another delimiter.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("label\n1,2,0\n")),
                    Contains("line 1 (the header) has 1 name but line 2 has 3 columns"));
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x;y;c\n1,5;2,5;0\n")),
                    Contains("line 1 (the header) has 1 name but line 2 has 3 columns") &&
                        Contains("Split at ';' instead of ',', line 1 would have 3 columns: if "
                                 "the file is ';'-separated, set CsvOptions::delimiter = ';'"));
  // Later rows are checked against the dataset, as before.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1,2,0\n1,2\n")),
                    Contains("line 3 has 2 columns but the dataset needs"));
  // Equal widths pass this check; the dataset's width comes next.
  CHECK_THROWS_WITH((data::parse_csv<Shape<3>, ClassIndex<3>>("x,y,c\n1,2,0\n")),
                    Contains("line 2 has 3 columns but the dataset needs 3 features"));
}

TEST_CASE("Options written with designated initializers before still compile and agree",
          "[csv][options]") {
  const auto with = data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1,2,0\n", {.header = true});
  const auto without = data::parse_csv<Shape<2>, ClassIndex<3>>("1,2,0\n", {.header = false});
  CHECK(with.fingerprint() == without.fingerprint());
  const auto first = data::parse_csv<Shape<2>, ClassIndex<3>>(
      "c;x;y\n2;1;5\n", {.delimiter = ';', .header = true, .labels_first = true});
  REQUIRE(first.size() == 1);
  CHECK(first.label(0)[0] == 2);
  CHECK(first.input(0)[1] == 5.0f);
}

// ----------------------------------------------------------------------------------------------
// Files that hold no data

TEST_CASE("An empty file is refused naming the path", "[csv][files]") {
  CsvFile empty("empty", "");
  CHECK_THROWS_WITH((data::read_csv<Shape<2>, ClassIndex<3>>(empty.path)),
                    Contains("'" + empty.path + "' is empty"));
  CsvFile bom("bom_only", "\xEF\xBB\xBF");
  CHECK_THROWS_WITH((data::read_csv<Shape<2>, ClassIndex<3>>(bom.path)), Contains("is empty"));
  CsvFile blank("blank_only", "\n \r\n\n");
  CHECK_THROWS_WITH((data::read_csv<Shape<2>, ClassIndex<3>>(blank.path)),
                    Contains("'" + blank.path + "' holds only blank lines"));
}

TEST_CASE("A header-only file is refused naming the path and the header line", "[csv][files]") {
  CsvFile file("header_only", "\nx,y,c\n\n");
  CHECK_THROWS_WITH((data::read_csv<Shape<2>, ClassIndex<3>>(file.path)),
                    Contains("'" + file.path + "' has a header (line 2) but no data rows"));
}

TEST_CASE("A directory or a missing path is refused naming it", "[csv][files]") {
  const auto dir = std::filesystem::temp_directory_path().string();
  CHECK_THROWS_WITH((data::read_csv<Shape<2>, ClassIndex<3>>(dir)),
                    Contains("'" + dir + "' is a directory, not a CSV file"));
  const auto missing = dir + "/tg_csv_no_such_file.csv";
  CHECK_THROWS_WITH((data::read_csv<Shape<2>, ClassIndex<3>>(missing)),
                    Contains("cannot open '" + missing + "': no such file"));
}

TEST_CASE("A row of the wrong width is refused naming the line and both counts", "[csv][files]") {
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1,2,0\n1,2,0,\n")),
                    Contains("line 3 has 4 columns but the dataset needs 2 features (Shape<2>) "
                             "+ 1 label column (ClassIndex<3>)"));
}

TEST_CASE("Counts of one are written in the singular in width errors", "[csv][files]") {
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, ClassIndex<2>>("1\n")),
                    Contains("line 1 has 1 column but the dataset needs 1 feature (Shape<1>) + 1 "
                             "label column (ClassIndex<2>)"));
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, OneHot<2>>("1,0\n")),
                    Contains("line 1 has 2 columns but the dataset needs 1 feature (Shape<1>) + 2 "
                             "label columns (OneHot<2>)"));
}

TEST_CASE("Row names from R or an index from pandas are refused with a hint to leave them out",
          "[csv][files]") {
  const std::string fix =
      ": the reader does not drop columns. Write the file without them: row.names = FALSE in R's "
      "write.csv or write.table, index=False in pandas' to_csv";
  // R: write.csv(iris_coded, "iris.csv") writes row names, under an empty name.
  CsvFile r_file(
      "r_row_names",
      "\"\",\"Sepal.Length\",\"Sepal.Width\",\"Petal.Length\",\"Petal.Width\",\"Species\"\n"
      "\"1\",5.1,3.5,1.4,0.2,0\n"
      "\"2\",4.9,3,1.4,0.2,0\n");
  CHECK_THROWS_WITH((data::read_csv<Shape<4>, ClassIndex<3>>(r_file.path)),
                    Contains("'" + r_file.path +
                             "' line 2 has 6 columns but the dataset needs 4 "
                             "features (Shape<4>) + 1 label column (ClassIndex<3>). The first "
                             "column looks like row names or an index (the header's first cell "
                             "is empty)" +
                             fix));
  // pandas: df.to_csv("iris.csv") writes the index, with an empty name.
  const std::string pandas =
      ",sepal_length,sepal_width,petal_length,petal_width,species\n"
      "0,5.1,3.5,1.4,0.2,0\n"
      "1,4.9,3.0,1.4,0.2,0\n";
  CHECK_THROWS_WITH((data::parse_csv<Shape<4>, ClassIndex<3>>(pandas)),
                    Contains("the header's first cell is empty)" + fix));
  // Without a header (to_csv(header=False)): the first cell numbers the rows.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("0,5.1,3.5,0\n1,4.9,3,0\n")),
                    Contains("line 1 has 4 columns") &&
                        Contains("(its first cell numbers the rows from 0)" + fix));
  // R's write.table names the columns but not the row names: the header is one name short.
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<2>, ClassIndex<3>>(
          "\"x\" \"y\" \"c\"\n\"1\" 5.1 3.5 0\n\"2\" 4.9 3 0\n", {.delimiter = ' '})),
      Contains("line 1 (the header) has 3 names but line 2 has 4 columns") &&
          Contains("The first column looks like row names or an index that the header does not "
                   "name (its first cell numbers the rows from 1)" +
                   fix));
  // Row names are never dropped silently; other extra columns get no such hint.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c,d\n7,1,2,0\n")),
                    Contains("line 2 has 4 columns") && !Contains("row names"));
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("3,1,2,0\n4,3,4,1\n")),
                    Contains("line 1 has 4 columns") && !Contains("row names"));
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>(",x,y,c,d\n0,1,2,3,0\n")),
                    Contains("line 2 has 5 columns") && !Contains("row names"));
}

TEST_CASE("A row read as one column hints at the delimiter the file seems to use", "[csv][files]") {
  const std::pair<const char*, const char*> cases[] = {
      {"x;y;c\n1;2;0\n", "';'"},
      {"x\ty\tc\n1\t2\t0\n", "'\\t'"},
      {"x|y|c\n1|2|0\n", "'|'"},
      {"x y c\n1  2 0\n", "' '"},
  };
  for (const auto& [text, shown] : cases) {
    INFO("text: " << text);
    CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>(text)),
                      Contains("line 2 has 1 column but the dataset needs") &&
                          Contains(std::string("Split at ") + shown +
                                   " instead of ',', line 2 would have 3 columns: if the file is " +
                                   shown + "-separated, set CsvOptions::delimiter = " + shown));
  }
  // Not an exact split: still the most frequent candidate for a row read as one cell.
  CHECK_THROWS_WITH((data::parse_csv<Shape<4>, ClassIndex<3>>("a;b\n1;2\n")),
                    Contains("line 2 has 1 column") && Contains("line 2 would have 2 columns") &&
                        Contains("set CsvOptions::delimiter = ';'"));
  // A comma file read with ';' as the delimiter.
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1,2,0\n", {.delimiter = ';'})),
      Contains("set CsvOptions::delimiter = ','"));
  // A wider row that would split exactly at ';' (its decimal commas split it at ','); one that
  // would not gets no hint.
  CHECK_THROWS_WITH((data::parse_csv<Shape<3>, ClassIndex<3>>("1,5;2,5;0;1\n", {.header = false})),
                    Contains("line 1 has 3 columns") &&
                        Contains("Split at ';' instead of ',', line 1 would have 4 columns"));
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<2>, ClassIndex<3>>("1,5;2,5;0;7,1\n", {.header = false})),
      Contains("line 1 has 4 columns") && !Contains("CsvOptions::delimiter ="));
  // A single number: no hint.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1,2,0\n5\n")),
                    Contains("line 3 has 1 column but the dataset needs 2 features (Shape<2>) + 1 "
                             "label column (ClassIndex<3>)") &&
                        !Contains("delimiter"));
}

// ----------------------------------------------------------------------------------------------
// Realistic input and arbitrary bytes

TEST_CASE("A table written by R's write.csv is read", "[csv][realistic]") {
  // write.csv(iris_coded, "iris.csv", row.names = FALSE): quoted names, NA for a missing value.
  const std::string text =
      "\"Sepal.Length\",\"Sepal.Width\",\"Petal.Length\",\"Petal.Width\",\"Species\"\n"
      "5.1,3.5,1.4,0.2,0\n"
      "4.9,3,1.4,0.2,0\n"
      "7,3.2,4.7,1.4,1\n"
      "6.4,NA,4.5,1.5,1\n"
      "6.3,3.3,6,2.5,2\n"
      "5.8,2.7,5.1,1.9,2\n";
  CsvFile file("r_write_csv", text);
  const auto iris = data::read_csv<Shape<4>, ClassIndex<3>>(file.path);
  REQUIRE(iris.size() == 6);
  CHECK(iris.input(0)[0] == 5.1f);
  CHECK(iris.input(2)[3] == 1.4f);
  CHECK(std::isnan(iris.input(3)[1]));
  CHECK(count_nonfinite(iris.inputs()) == 1);
  CHECK(iris.label(0)[0] == 0);
  CHECK(iris.label(3)[0] == 1);
  CHECK(iris.label(5)[0] == 2);
}

TEST_CASE("parse_csv reads text in memory and names it in errors", "[csv][memory]") {
  const auto d = data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1,2,0\n");
  CHECK(d.size() == 1);
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<3>>("x,y,c\n1,2,z\n", {}, "upload #3")),
                    Contains("parse_csv: 'upload #3' line 2, column 3"));
  // NUL bytes and invalid UTF-8 are text like any other, shown escaped.
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<2>, ClassIndex<3>>(std::string("x,y,c\n1,\0\xff,0\n", 13))),
      Contains("line 2, column 2: '\\x00\xff' is not a number"));
}

TEST_CASE("parse_csv on arbitrary bytes returns a dataset or throws std::runtime_error",
          "[csv][memory]") {
  // Inputs built from the bytes that matter to the parser, and some that do not; ASan and UBSan
  // builds check the memory accesses and conversions.
  const char alphabet[] = {',', ',', '"', '"', '\n', '\r',   ' ',    '\t',   '0',    '1',
                           '2', '.', '-', '+', 'e',  'E',    'n',    'a',    'N',    'A',
                           'i', 'f', 'x', '9', '\0', '\xff', '\xef', '\xbb', '\xbf', '?'};
  std::uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  // What a returned dataset may hold: class indices in [0, 3) and finite labels.
  std::size_t parsed = 0, refused = 0, other = 0, invalid = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text(next() % 40, ' ');
    for (char& c : text) c = alphabet[next() % sizeof alphabet];
    if (round % 7 == 0) text = "1,2,0\n" + text;
    if (round % 5 == 0) text += "1e999,2e-999,99999999999999999999\n";
    try {
      if (round % 2) {
        const auto d = data::parse_csv<Shape<2>, ClassIndex<3>>(text);
        for (std::int32_t label : d.labels()) invalid += label < 0 || label >= 3;
        parsed += d.size() > 0;
      } else {
        const auto d =
            data::parse_csv<Shape<1>, Real<Shape<1>>, double>(text, {.labels_first = true});
        for (double label : d.labels()) invalid += !std::isfinite(label);
        parsed += d.size() > 0;
      }
    } catch (const std::runtime_error&) {
      ++refused;
    } catch (...) {
      ++other;
    }
  }
  CHECK(invalid == 0);
  CHECK(other == 0);
  CHECK(parsed > 0);
  CHECK(refused > 0);
}

// ----------------------------------------------------------------------------------------------
// Scalers

namespace {
using Table = Dataset<Shape<2>, Binary>;
Table table(std::initializer_list<std::array<float, 2>> rows) {
  Table d;
  const float label = 0;
  for (const auto& r : rows) d.push_back(r, std::span<const float>(&label, 1));
  return d;
}
constexpr float missing = std::numeric_limits<float>::quiet_NaN();
constexpr float infinite = std::numeric_limits<float>::infinity();
}  // namespace

TEST_CASE("Fitting a scaler on an empty dataset is refused", "[scaler]") {
  const Table empty;
  CHECK_THROWS_WITH(data::MinMaxScaler().fit(empty),
                    Contains("MinMaxScaler::fit: the training dataset is empty"));
  CHECK_THROWS_AS(data::StandardScaler().fit(empty), std::invalid_argument);
}

TEST_CASE("Transforming with a scaler that was never fitted is a std::logic_error", "[scaler]") {
  // std::invalid_argument is a std::logic_error too: tell the two apart, as docs/data.md does.
  auto thrown = [](auto&& call) -> std::string {
    try {
      call();
    } catch (const std::invalid_argument&) {
      return "invalid_argument";
    } catch (const std::logic_error& e) {
      return std::string("logic_error: ") + e.what();
    } catch (...) {
      return "other";
    }
    return "nothing";
  };
  auto d = table({{1, 2}});
  CHECK_THAT(thrown([&] { data::MinMaxScaler().transform(d); }),
             Contains("logic_error: MinMaxScaler: transform before fit"));
  CHECK_THAT(thrown([&] { data::StandardScaler().transform(d); }),
             Contains("logic_error: StandardScaler: transform before fit"));
  CHECK(thrown([&] { data::StandardScaler().fit(Table()); }) == "invalid_argument");
  CHECK(thrown([&] { data::MinMaxScaler(1, 0); }) == "invalid_argument");
}

TEST_CASE("MinMaxScaler refuses a target range that is not finite or not increasing", "[scaler]") {
  const double nan_bound = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(data::MinMaxScaler(nan_bound, 1),
                    Contains("MinMaxScaler: the target range [nan, 1] must have finite bounds "
                             "with low < high"));
  CHECK_THROWS_WITH((data::MinMaxScaler(0, std::numeric_limits<double>::infinity())),
                    Contains("[0, inf]"));
  CHECK_THROWS_WITH(data::MinMaxScaler(1, 1), Contains("[1, 1]"));
  CHECK_THROWS_AS(data::MinMaxScaler(2, -1), std::invalid_argument);
  CHECK_NOTHROW(data::MinMaxScaler(-1, 1));
}

TEST_CASE("StandardScaler takes statistics from finite values and leaves NaN cells alone",
          "[scaler]") {
  auto train = table({{0, 1}, {missing, 2}, {10, 3}, {5, missing}});
  data::StandardScaler scaler;
  scaler.fit_transform(train);
  CHECK(scaler.mean()[0] == Approx(5.0));
  CHECK(scaler.mean()[1] == Approx(2.0));
  CHECK(scaler.scale()[0] == Approx(std::sqrt(50.0 / 3)));
  CHECK(train.input(0)[0] == Approx(-std::sqrt(1.5)));
  CHECK(train.input(2)[1] == Approx(std::sqrt(1.5)));
  // The missing values stay where they were: the NaN guard counts 2 and names row 1 first.
  CHECK(count_nonfinite(train.inputs()) == 2);
  CHECK(std::isnan(train.input(1)[0]));
  CHECK(std::isnan(train.input(3)[1]));
  CHECK(std::isfinite(train.input(1)[1]));
}

TEST_CASE("MinMaxScaler takes the range from finite values and leaves NaN and Inf cells alone",
          "[scaler]") {
  auto train = table({{0, infinite}, {missing, 10}, {10, 30}, {5, 20}});
  data::MinMaxScaler scaler(-1, 1);
  scaler.fit_transform(train);
  CHECK(scaler.data_max()[1] == 30.0);
  CHECK(train.input(0)[0] == -1.0f);
  CHECK(train.input(3)[0] == 0.0f);
  CHECK(train.input(1)[1] == -1.0f);
  CHECK(train.input(3)[1] == 0.0f);
  CHECK(std::isnan(train.input(1)[0]));
  CHECK(train.input(0)[1] == infinite);
  CHECK(count_nonfinite(train.inputs()) == 2);
}

TEST_CASE("A feature with no finite training value is treated as constant", "[scaler]") {
  auto train = table({{missing, 1}, {missing, 3}});
  auto test = table({{4, 2}});
  data::StandardScaler standard;
  standard.fit(train);
  CHECK(standard.mean()[0] == 0.0);
  CHECK(standard.scale()[0] == 1.0);
  auto z = test;
  standard.transform(z);
  CHECK(z.input(0)[0] == 4.0f);  // centred on 0, scale 1
  data::MinMaxScaler minmax;
  minmax.fit(train);
  minmax.transform(test);
  CHECK(test.input(0)[0] == 0.0f);  // like a constant feature: low
  CHECK(test.input(0)[1] == 0.5f);
  CHECK(std::isnan(train.input(0)[0]));
}

TEST_CASE("A scaler marks the rows it saw when fitted, and the marks survive a split", "[scaler]") {
  auto all = table({{0, 1}, {missing, 2}, {10, 3}, {4, 2}});
  auto test = table({{4, 2}, {5, 5}});
  data::StandardScaler scaler;
  scaler.fit(all);
  scaler.transform(test);
  REQUIRE(test.rows_seen_by_scaler().size() == 2);
  CHECK(test.rows_seen_by_scaler()[0] == 1);  // {4, 2} was among the fitted rows
  CHECK(test.rows_seen_by_scaler()[1] == 0);
  scaler.transform(all);
  const std::size_t rows[] = {3, 0};
  const auto part = all.subset(rows);
  REQUIRE(part.rows_seen_by_scaler().size() == 2);
  CHECK(part.rows_seen_by_scaler()[0] == 1);
  CHECK(part.rows_seen_by_scaler()[1] == 1);
  auto fresh = table({{1, 1}});
  CHECK(fresh.rows_seen_by_scaler().empty());
}

TEST_CASE("MultiHot labels are 0 or 1 per column; Probability targets lie in [0, 1]",
          "[csv][labels]") {
  const auto tags =
      data::parse_csv<Shape<2>, MultiHot<3>>("a,b,cat,dog,bird\n0.5,1,1,0,1\n2,3,0,0,0\n");
  REQUIRE(tags.size() == 2);
  CHECK(tags.label(0)[0] == 1.f);
  CHECK(tags.label(0)[2] == 1.f);
  CHECK(tags.label(1)[1] == 0.f);
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, MultiHot<3>>("a,b,cat,dog,bird\n0.5,1,1,2,1\n")),
                    Contains("label '2' is not 0 or 1; a MultiHot<3> label is 0 or 1"));

  const auto pixels = data::parse_csv<Shape<1>, Probability<Shape<2>>>("x,p,q\n3,0.25,1\n");
  CHECK(pixels.label(0)[0] == 0.25f);
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, Probability<Shape<2>>>("x,p,q\n3,0.25,255\n")),
                    Contains("target '255' is outside [0, 1]; Probability<Shape<2>> targets lie "
                             "in [0, 1]"));
}

// ----------------------------------------------------------------------------------------------
// Columns chosen by header name

namespace {
std::string data_file(const char* name) { return std::string(TG_TEST_DATA_DIR) + "/" + name; }

// A temporary path for a categories file, unique per process, removed afterwards.
struct TempPath {
  std::string path;
  explicit TempPath(const std::string& name)
      : path((std::filesystem::temp_directory_path() /
              ("tg_csv_" + std::to_string(::getpid()) + "_" + name))
                 .string()) {}
  ~TempPath() { std::filesystem::remove(path); }
};

// The bytes of a file, for checking what save wrote.
std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

using Boston = Dataset<Shape<13>, Real<Shape<1>>>;
}  // namespace

TEST_CASE("Columns chosen by header name come in the order named; the others are ignored",
          "[csv][names]") {
  const auto boston = data_file("boston.csv");
  // The first row: crim 0.00632, zn 18, ..., rm 6.575, ..., lstat 4.98, medv 24.
  const auto d = data::read_csv<Shape<3>, Real<Shape<1>>>(
      boston, {.features = {"rm", "lstat", "crim"}, .labels = {"medv"}});
  REQUIRE(d.size() == 506);
  CHECK(d.input(0)[0] == 6.575f);
  CHECK(d.input(0)[1] == 4.98f);
  CHECK(d.input(0)[2] == 0.00632f);
  CHECK(d.label(0)[0] == 24.0f);
  // A label named, features left empty: every other column in the file's order, which is what
  // reading by position gives for this file.
  const Boston by_name = data::read_csv<Shape<13>, Real<Shape<1>>>(boston, {.labels = {"medv"}});
  const Boston by_position = data::read_csv<Shape<13>, Real<Shape<1>>>(boston);
  CHECK(by_name.fingerprint() == by_position.fingerprint());
  // The label may be any column, here the first; a feature may be the label of another read.
  const auto crime = data::read_csv<Shape<2>, Real<Shape<1>>>(
      boston, {.features = {"medv", "lstat"}, .labels = {"crim"}});
  CHECK(crime.input(0)[0] == 24.0f);
  CHECK(crime.label(0)[0] == 0.00632f);
  // Columns named nowhere are not read, whatever they hold.
  const auto skip = data::parse_csv<Shape<1>, ClassIndex<2>>(
      "id,x,notes,y\nA-17,2.5,\"free, text\",1\n#3,4,!!,0\n", {.features = {"x"}, .labels = {"y"}});
  REQUIRE(skip.size() == 2);
  CHECK(skip.input(1)[0] == 4.0f);
  CHECK(skip.label(0)[0] == 1);
}

TEST_CASE("Quoted header names may hold the delimiter and quotes, and are chosen as written",
          "[csv][names]") {
  const std::string text =
      "\"width, cm\",\"the \"\"height\"\"\",\"class\"\n"
      "1.5,2,0\n"
      "3,4,1\n";
  const auto d = data::parse_csv<Shape<2>, ClassIndex<2>>(
      text, {.features = {"the \"height\"", "width, cm"}, .labels = {"class"}});
  REQUIRE(d.size() == 2);
  CHECK(d.input(0)[0] == 2.0f);
  CHECK(d.input(0)[1] == 1.5f);
  CHECK(d.label(1)[0] == 1);
  // R's iris header, quoted names with dots.
  const auto iris = data::read_csv<Shape<2>, ClassIndex<3>>(
      data_file("iris.csv"), {.features = {"Petal.Width", "Sepal.Length"}, .labels = {"Species"}});
  CHECK(iris.input(0)[0] == 0.2f);
  CHECK(iris.input(0)[1] == 5.1f);
}

TEST_CASE("A name the header does not hold is refused naming the file, the name and the header",
          "[csv][names]") {
  const auto boston = data_file("boston.csv");
  // A close match (case, spaces, punctuation) is suggested.
  CHECK_THROWS_WITH(
      (data::read_csv<Shape<13>, Real<Shape<1>>>(boston, {.labels = {"MEDV"}})),
      Contains("read_csv: '" + boston +
               "': CsvOptions::labels names 'MEDV', but the header (line "
               "1) has no such column (did you mean 'medv'?") &&
          Contains("Its 14 names: 'crim', 'zn', 'indus', 'chas', 'nox', 'rm', 'age', 'dis', "
                   "'rad', 'tax', 'ptratio', 'black', 'lstat', 'medv'. Fix the name in "
                   "CsvOptions::labels"));
  CHECK_THROWS_WITH((data::read_csv<Shape<2>, Real<Shape<1>>>(
                        data_file("iris.csv"),
                        {.features = {"sepal_length", "Sepal.Width"}, .labels = {"Species"}})),
                    Contains("CsvOptions::features names 'sepal_length'") &&
                        Contains("did you mean 'Sepal.Length'?"));
  // No close match: no suggestion, the names all the same.
  CHECK_THROWS_WITH(
      (data::read_csv<Shape<13>, Real<Shape<1>>>(boston, {.labels = {"price"}})),
      Contains("names 'price', but the header (line 1) has no such column. Its 14 names: 'crim'") &&
          !Contains("did you mean"));
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<2>>(
                        "a,b,c\n1,2,0\n", {.labels = {"c"}, .categorical = {"d"}})),
                    Contains("CsvOptions::categorical names 'd'"));
}

TEST_CASE("A name given twice, or a column both feature and label, is refused", "[csv][names]") {
  const std::string text = "a,b,c\n1,2,0\n";
  using I = std::invalid_argument;
  CHECK_THROWS_AS(
      (data::parse_csv<Shape<2>, ClassIndex<2>>(text, {.features = {"a", "a"}, .labels = {"c"}})),
      I);
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<2>>(
                        text, {.features = {"a", "b", "a"}, .labels = {"c"}})),
                    Contains("CsvOptions::features names 'a' twice; name each column once"));
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<2>>(
                        text, {.labels = {"c"}, .categorical = {"a", "a"}})),
                    Contains("CsvOptions::categorical names 'a' twice"));
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<2>, ClassIndex<2>>(text, {.features = {"a", "c"}, .labels = {"c"}})),
      Contains("'c' is in both CsvOptions::features and CsvOptions::labels"));
  // The label found by position, named as a feature as well.
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<2>, ClassIndex<2>>(text, {.features = {"a", "c"}})),
      Contains("CsvOptions::features names 'c', which is the label column (the last column, "
               "since CsvOptions::labels is empty)"));
  // A header that holds a name twice: the name cannot choose; unnamed, the columns are read.
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, ClassIndex<2>>(
                        "a,a,c\n1,2,0\n", {.features = {"a"}, .labels = {"c"}})),
                    Contains("the header (line 1) names 2 columns 'a' (columns 1 and 2), so "
                             "CsvOptions::features cannot choose one: rename them in the file"));
  const auto both = data::parse_csv<Shape<2>, ClassIndex<2>>("a,a,c\n1,2,0\n", {.labels = {"c"}});
  CHECK(both.input(0)[1] == 2.0f);
}

TEST_CASE("Choosing columns by name needs a header", "[csv][names]") {
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<2>>("a,b,c\n1,2,0\n",
                                                              {.header = false, .labels = {"c"}})),
                    Contains("header = false, but CsvOptions::labels chooses columns by header "
                             "name, so the file needs a header"));
  CHECK_THROWS_AS((data::parse_csv<Shape<2>, ClassIndex<2>>(
                      "a,b,c\n1,2,0\n", {.header = false, .features = {"a", "b"}})),
                  std::invalid_argument);
  CsvFile file("names_no_header", "1,2,0\n3,4,1\n");
  CHECK_THROWS_WITH((data::read_csv<Shape<2>, ClassIndex<2>>(file.path, {.labels = {"c"}})),
                    Contains("read_csv: '" + file.path +
                             "' line 1 holds only numbers (and missing values), so the file has "
                             "no header, but CsvOptions::labels chooses columns by header name") &&
                        Contains("set .header = true"));
  // header = true: numeric names are names.
  const auto d = data::parse_csv<Shape<1>, ClassIndex<2>>(
      "0,1,2\n5,6,1\n", {.header = true, .features = {"1"}, .labels = {"2"}});
  CHECK(d.input(0)[0] == 6.0f);
  CHECK(d.label(0)[0] == 1);
  // A first row that mixes names and numbers is the header when columns are chosen by name.
  const auto mixed = data::parse_csv<Shape<1>, ClassIndex<2>>(
      "x,2019,y\n5,6,1\n", {.features = {"2019"}, .labels = {"y"}});
  CHECK(mixed.input(0)[0] == 6.0f);
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, ClassIndex<2>>("a,b\n", {.labels = {"b"}})),
                    Contains("has a header (line 1) but no data rows"));
}

TEST_CASE("The number of label columns named must fit the label type", "[csv][names]") {
  const std::string text = "a,b,c\n1,0.25,0.75\n";
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, ClassIndex<2>>(text, {.labels = {"b", "c"}})),
                    Contains("CsvOptions::labels names 2 columns ('b', 'c') but ClassIndex<2> "
                             "labels take 1 column (a class index or a class name)"));
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, OneHot<3>>(text, {.labels = {"b", "c"}})),
                    Contains("OneHot<3> labels take 1 column (a class index or a class name) or "
                             "3 columns (one value per class)"));
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, Real<Shape<1>>>(text, {.labels = {"b", "c"}})),
                    Contains("Real<Shape<1>> labels take 1 column (one value each)"));
  const auto soft = data::parse_csv<Shape<1>, OneHot<2>>(text, {.labels = {"c", "b"}});
  CHECK(soft.label(0)[0] == 0.75f);
  CHECK(soft.label(0)[1] == 0.25f);
  // labels_first places labels by position: naming them as well is a contradiction.
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<2>, Real<Shape<1>>>(text, {.labels_first = true, .labels = {"a"}})),
      Contains("labels_first places the labels by position"));
  // Without names, labels_first still chooses the label columns.
  const auto first =
      data::parse_csv<Shape<1>, Real<Shape<1>>>(text, {.labels_first = true, .features = {"c"}});
  CHECK(first.label(0)[0] == 1.0f);
  CHECK(first.input(0)[0] == 0.75f);
}

TEST_CASE("A row of the wrong width is refused naming the header when columns are named",
          "[csv][names]") {
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, ClassIndex<2>>(
                        "a,b,c\n1,2,0\n1,2,0,9\n", {.features = {"a"}, .labels = {"c"}})),
                    Contains("line 1 (the header) has 3 names but line 3 has 4 columns: every "
                             "row needs one cell per name"));
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<2>, ClassIndex<2>>("a,b,c\n0,1,2,0\n", {.labels = {"c"}})),
      Contains("The first column looks like row names or an index that the header "
               "does not name (its first cell numbers the rows from 0)"));
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<2>>("a;b;c\n1;2;0\n", {.labels = {"c"}})),
                    Contains("names 'c', but the header (line 1) has no such column"));
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<1>, ClassIndex<2>>("a,b,c\n1,2,0\n1;2;0\n", {.labels = {"c"}})),
      Contains("line 3 has 1 column") && Contains("set CsvOptions::delimiter = ';'"));
}

TEST_CASE("Errors in a file read by name give the column's name as well as its number",
          "[csv][names]") {
  CsvFile file("names_cell", "a,b,c\n1,2,0\n3,x7,1\n");
  CHECK_THROWS_WITH(
      (data::read_csv<Shape<1>, ClassIndex<2>>(file.path, {.features = {"b"}, .labels = {"c"}})),
      Contains("read_csv: '" + file.path +
               "' line 3, column 2 ('b'): 'x7' is not a number; a feature must be") &&
          !Contains("categorical"));
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<2>>("a,b,c\n1,2,5\n", {.labels = {"c"}})),
                    Contains("line 2, column 3 ('c'): label '5' is outside [0, 2)"));
}

// ----------------------------------------------------------------------------------------------
// Categorical columns

TEST_CASE("A categorical feature becomes one-hot values in its place in the feature order",
          "[csv][categorical]") {
  const std::string text =
      "colour,size,label\n"
      "red,1,0\n"
      "blue,2,1\n"
      "\" green \",3,0\n"
      "NA,4,1\n";
  data::CsvCategories categories;
  const auto d = data::parse_csv<Shape<4>, ClassIndex<2>>(
      text, {.features = {"size", "colour"}, .labels = {"label"}, .categorical = {"colour"}},
      categories);
  REQUIRE(d.size() == 4);
  // size, then colour as blue, green, red (sorted).
  const std::vector<std::vector<float>> expected = {{1, 0, 0, 1}, {2, 1, 0, 0}, {3, 0, 1, 0}};
  for (std::size_t r = 0; r < expected.size(); ++r)
    for (std::size_t f = 0; f < 4; ++f) {
      INFO("row " << r << ", value " << f);
      CHECK(d.input(r)[f] == expected[r][f]);
    }
  // A missing category is missing in every one-hot value (left for the data guards).
  CHECK(d.input(3)[0] == 4.0f);
  CHECK(std::isnan(d.input(3)[1]));
  CHECK(std::isnan(d.input(3)[2]));
  CHECK(std::isnan(d.input(3)[3]));
  REQUIRE(categories.contains("colour"));
  CHECK(categories.at("colour") == std::vector<std::string>{"blue", "green", "red"});
  CHECK(categories.size() == 1);  // a numeric feature has no categories
  // In the middle of the features, with features left empty.
  const auto middle = data::parse_csv<Shape<3>, ClassIndex<2>>("x,colour,y,label\n7,red,8,1\n",
                                                               {.categorical = {"colour"}});
  CHECK(middle.input(0)[0] == 7.0f);
  CHECK(middle.input(0)[1] == 1.0f);  // red, the only category
  CHECK(middle.input(0)[2] == 8.0f);
  CHECK(middle.label(0)[0] == 1);
}

TEST_CASE("Categories are sorted, by value when they are numbers, whatever the row order",
          "[csv][categorical]") {
  const data::CsvOptions options{.labels = {"y"}, .categorical = {"rad"}};
  data::CsvCategories a, b;
  const auto d =
      data::parse_csv<Shape<3>, Real<Shape<1>>>("rad,y\n10,1\n2,2\n1,3\n2,4\n", options, a);
  data::parse_csv<Shape<3>, Real<Shape<1>>>("rad,y\n1,3\n10,1\n2,2\n", options, b);
  CHECK(a.at("rad") == std::vector<std::string>{"1", "2", "10"});
  CHECK(a == b);
  CHECK(d.input(0)[2] == 1.0f);  // 10 is the last category
  CHECK(d.input(1)[1] == 1.0f);
  // Text sorts by bytes: upper case first.
  data::CsvCategories t;
  data::parse_csv<Shape<3>, Real<Shape<1>>>("c,y\nb,1\nB,2\na,3\n",
                                            {.labels = {"y"}, .categorical = {"c"}}, t);
  CHECK(t.at("c") == std::vector<std::string>{"B", "a", "b"});
}

TEST_CASE("Boston's river dummy as a categorical feature widens the input by one",
          "[csv][categorical]") {
  const auto path = data_file("boston.csv");
  const data::CsvOptions options{.labels = {"medv"}, .categorical = {"chas"}};
  const auto d = data::read_csv<Shape<14>, Real<Shape<1>>>(path, options);
  const Boston plain = data::read_csv<Shape<13>, Real<Shape<1>>>(path);
  REQUIRE(d.size() == plain.size());
  std::size_t river = 0;
  for (std::size_t r = 0; r < d.size(); ++r) {
    // crim, zn, indus, then chas as (0, 1), then nox ... lstat.
    CHECK(d.input(r)[3] + d.input(r)[4] == 1.0f);
    CHECK(d.input(r)[4] == plain.input(r)[3]);
    CHECK(d.input(r)[2] == plain.input(r)[2]);
    CHECK(d.input(r)[13] == plain.input(r)[12]);
    river += d.input(r)[4] == 1.0f;
  }
  CHECK(river == 35);  // MASS::Boston has 35 tracts on the Charles River
  // The wrong width says what the columns expand to, column by column, and what to change.
  CHECK_THROWS_WITH(
      (data::read_csv<Shape<13>, Real<Shape<1>>>(path, options)),
      Contains("read_csv: '" + path +
               "': the features expand to 14 values ('crim' 1, 'zn' 1, 'indus' 1, 'chas' "
               "one-hot 2 ('0', '1'), 'nox' 1, 'rm' 1,") &&
          Contains("'lstat' 1) but the dataset's input is Shape<13> (13 values). Make the input "
                   "Shape<14>, or choose other columns with CsvOptions::features") &&
          Contains("if it is not the training file, pass the training file's CsvCategories"));
  // With the label found by position, the message says which column it took.
  CHECK_THROWS_WITH((data::read_csv<Shape<12>, Real<Shape<1>>>(path, {.categorical = {"chas"}})),
                    Contains("the features expand to 14 values") &&
                        Contains("('medv' is the label column (the last column, since "
                                 "CsvOptions::labels is empty))"));
}

TEST_CASE("Class names in a label column become class indices in sorted order",
          "[csv][categorical]") {
  // R's iris with its Species factor written as text.
  const auto species = data_file("iris_species.csv");
  const auto coded = data::read_csv<Shape<4>, ClassIndex<3>>(data_file("iris.csv"));
  data::CsvCategories categories;
  const auto d =
      data::read_csv<Shape<4>, ClassIndex<3>>(species, {.labels = {"Species"}}, categories);
  CHECK(d.fingerprint() == coded.fingerprint());  // setosa 0, versicolor 1, virginica 2
  CHECK(categories.at("Species") == std::vector<std::string>{"setosa", "versicolor", "virginica"});
  // Without a CsvCategories, and as OneHot<3> from the one column.
  const auto plain = data::read_csv<Shape<4>, ClassIndex<3>>(species, {.labels = {"Species"}});
  CHECK(plain.fingerprint() == coded.fingerprint());
  const auto onehot = data::read_csv<Shape<4>, OneHot<3>>(species, {.labels = {"Species"}});
  REQUIRE(onehot.size() == 150);
  CHECK(onehot.label(0)[0] == 1.0f);
  CHECK(onehot.label(149)[2] == 1.0f);
  CHECK(onehot.label(149)[0] + onehot.label(149)[1] == 0.0f);
  // A label column of numbers, read by name, is class indices as before; as OneHot from one
  // column too.
  const auto numbers =
      data::read_csv<Shape<4>, ClassIndex<3>>(data_file("iris.csv"), {.labels = {"Species"}});
  CHECK(numbers.fingerprint() == coded.fingerprint());
  const auto numbers_onehot =
      data::read_csv<Shape<4>, OneHot<3>>(data_file("iris.csv"), {.labels = {"Species"}});
  CHECK(numbers_onehot.label(149)[2] == 1.0f);
  // Read by position, class names are an error that says how to read them.
  CHECK_THROWS_WITH((data::read_csv<Shape<4>, ClassIndex<3>>(species)),
                    !Contains("'\"setosa\"'") &&
                        Contains("line 2, column 5: 'setosa' is not a number; ClassIndex<3> labels "
                                 "are class indices 0..2: map class names to indices before "
                                 "reading (e.g. 'setosa' -> 0); or name the label column, "
                                 "CsvOptions::labels = {\"Species\"}"));
}

TEST_CASE("A label column of class names must hold as many classes as the label type",
          "[csv][categorical]") {
  const auto species = data_file("iris_species.csv");
  CHECK_THROWS_WITH((data::read_csv<Shape<4>, ClassIndex<2>>(species, {.labels = {"Species"}})),
                    Contains("the label column 'Species' holds 3 classes ('setosa', "
                             "'versicolor', 'virginica'), more than the 2 of ClassIndex<2>") &&
                        Contains("or make the labels ClassIndex<3>"));
  CHECK_THROWS_WITH((data::read_csv<Shape<4>, ClassIndex<4>>(species, {.labels = {"Species"}})),
                    Contains("the label column 'Species' holds 3 classes ('setosa', "
                             "'versicolor', 'virginica') but ClassIndex<4> labels have 4, so the "
                             "index of each class would depend on which classes this file "
                             "holds"));
  // Names and numbers mixed: neither reading is safe.
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<1>, ClassIndex<3>>("x,y\n1,0\n2,setosa\n3,1\n", {.labels = {"y"}})),
      Contains("the label column 'y' holds both class names and numbers (line 3: "
               "'setosa', line 2: '0')") &&
          Contains("add 'y' to CsvOptions::categorical"));
  // Listed as categorical, numbers are names too: 1-based classes read from 0.
  data::CsvCategories categories;
  const auto ranked = data::parse_csv<Shape<1>, ClassIndex<3>>(
      "x,rank\n5,3\n6,1\n7,2\n", {.labels = {"rank"}, .categorical = {"rank"}}, categories);
  CHECK(ranked.label(0)[0] == 2);
  CHECK(ranked.label(1)[0] == 0);
  CHECK(categories.at("rank") == std::vector<std::string>{"1", "2", "3"});
  // A label cannot be missing.
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<1>, ClassIndex<2>>("x,y\n1,a\n2,NA\n3,b\n", {.labels = {"y"}})),
      Contains("line 3, column 2 ('y'): 'NA' is a missing value") &&
          Contains("a label cannot be missing (drop the row)"));
  // Real labels have no classes.
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, Real<Shape<1>>>(
                        "x,y\n1,a\n", {.labels = {"y"}, .categorical = {"y"}})),
                    Contains("CsvOptions::categorical names the label column 'y', but "
                             "Real<Shape<1>> labels are numbers"));
}

TEST_CASE("Binary labels of two names need the column listed as categorical",
          "[csv][categorical]") {
  const std::string text = "glu,type\n86,No\n195,Yes\n77,No\n";
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, Binary>(text, {.labels = {"type"}})),
                    Contains("line 2, column 2 ('type'): 'No' is not a number; a Binary label is "
                             "0 or 1: map the two class names to 0 and 1 before reading, or add "
                             "'type' to CsvOptions::categorical to read 'No' as 0 and 'Yes' as "
                             "1"));
  const auto d =
      data::parse_csv<Shape<1>, Binary>(text, {.labels = {"type"}, .categorical = {"type"}});
  CHECK(d.label(0)[0] == 0.0f);
  CHECK(d.label(1)[0] == 1.0f);
  // Another order, set beforehand.
  data::CsvCategories order;
  order.set("type", {"Yes", "No"});
  const auto flipped =
      data::parse_csv<Shape<1>, Binary>(text, {.labels = {"type"}, .categorical = {"type"}}, order);
  CHECK(flipped.label(0)[0] == 1.0f);
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, Binary>(
                        "glu,type\n86,No\n", {.labels = {"type"}, .categorical = {"type"}})),
                    Contains("holds 1 class ('No') but Binary labels have 2"));
}

TEST_CASE("Categories learned from the training file are applied to the test file",
          "[csv][categorical]") {
  const data::CsvOptions options{.labels = {"y"}, .categorical = {"colour"}};
  CsvFile train("cat_train", "colour,x,y\nred,1,setosa\ngreen,2,versicolor\nblue,3,virginica\n");
  // The test file holds fewer colours and classes, in another order.
  CsvFile test("cat_test", "colour,x,y\nred,4,virginica\nred,5,virginica\n");
  data::CsvCategories categories;
  const auto a = data::read_csv<Shape<4>, ClassIndex<3>>(train.path, options, categories);
  CHECK(categories.size() == 2);  // colour and y
  const auto b = data::read_csv<Shape<4>, ClassIndex<3>>(test.path, options, categories);
  REQUIRE(b.size() == 2);
  CHECK(b.input(0)[2] == 1.0f);  // red is the third of blue, green, red
  CHECK(b.input(0)[0] + b.input(0)[1] == 0.0f);
  CHECK(b.label(0)[0] == 2);  // virginica is still class 2
  CHECK(a.label(2)[0] == 2);
  // The test file read alone: its own categories do not fit, and the errors say what to pass.
  CHECK_THROWS_WITH((data::read_csv<Shape<4>, ClassIndex<3>>(test.path, options)),
                    Contains("the features expand to 2 values ('colour' one-hot 1 ('red'), 'x' "
                             "1)") &&
                        Contains("pass the training file's CsvCategories"));
  CHECK_THROWS_WITH((data::read_csv<Shape<2>, ClassIndex<3>>(
                        test.path, {.labels = {"y"}, .categorical = {"colour"}})),
                    Contains("holds 1 class ('virginica') but ClassIndex<3> labels have 3") &&
                        Contains("pass its CsvCategories here"));
  // Const categories are only applied: a column they lack is an error, not learned.
  const data::CsvCategories& fixed = categories;
  const auto c = data::read_csv<Shape<4>, ClassIndex<3>>(test.path, options, fixed);
  CHECK(c.fingerprint() == b.fingerprint());
  const data::CsvCategories none;
  CHECK_THROWS_WITH((data::read_csv<Shape<4>, ClassIndex<3>>(train.path, options, none)),
                    Contains("the CsvCategories passed has no categories for column 'colour'") &&
                        Contains("being const it is only applied"));
  // A read that fails learns nothing.
  data::CsvCategories untouched;
  CsvFile bad("cat_bad", "colour,x,y\nred,1,setosa\ngreen,oops,versicolor\nblue,3,virginica\n");
  CHECK_THROWS_WITH((data::read_csv<Shape<4>, ClassIndex<3>>(bad.path, options, untouched)),
                    Contains("line 3, column 2 ('x'): 'oops' is not a number"));
  CHECK(untouched.empty());
}

TEST_CASE("A category the training file did not have is refused, or read as zeros if asked",
          "[csv][categorical]") {
  data::CsvCategories categories;
  categories.set("colour", {"blue", "green", "red"});
  categories.set("y", {"no", "yes"});
  const std::string text = "colour,y\nred,yes\npurple,no\n";
  const data::CsvOptions options{.labels = {"y"}, .categorical = {"colour"}};
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<3>, ClassIndex<2>>(text, options, categories, "new.csv")),
      Contains("parse_csv: 'new.csv' line 3, column 1 ('colour'): 'purple' is not "
               "one of the 3 categories of 'colour' in the CsvCategories passed "
               "('blue', 'green', 'red')") &&
          Contains("CsvUnknownCategory::zeros"));
  data::CsvOptions zeros = options;
  zeros.unknown_category = data::CsvUnknownCategory::zeros;
  const auto d = data::parse_csv<Shape<3>, ClassIndex<2>>(text, zeros, categories);
  REQUIRE(d.size() == 2);
  CHECK(d.input(0)[2] == 1.0f);
  CHECK(d.input(1)[0] + d.input(1)[1] + d.input(1)[2] == 0.0f);
  CHECK(d.label(1)[0] == 0);
  // A label is never unknown, even with zeros.
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<3>, ClassIndex<2>>("colour,y\nred,maybe\n", zeros, categories)),
      Contains("line 2, column 2 ('y'): 'maybe' is not one of the 2 categories of "
               "'y' in the CsvCategories passed ('no', 'yes')") &&
          Contains("A label must be one of the classes the model knows"));
  // More classes in the categories than the label type has.
  data::CsvCategories wide;
  wide.set("y", {"a", "b", "c"});
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<1>, ClassIndex<2>>("x,y\n1,a\n", {.labels = {"y"}}, wide)),
      Contains("has, in the CsvCategories passed, 3 classes ('a', 'b', 'c'), more "
               "than the 2 of ClassIndex<2>"));
  // A category that is a missing-value token could never be read.
  data::CsvCategories na;
  na.set("y", {"NA", "b"});
  CHECK_THROWS_AS((data::parse_csv<Shape<1>, ClassIndex<2>>("x,y\n1,b\n", {.labels = {"y"}}, na)),
                  std::invalid_argument);
}

TEST_CASE("A text column where numbers belong suggests listing it as categorical",
          "[csv][categorical]") {
  const std::string text = "colour,x,y\nred,1,0\ngreen,2,1\nNA,3,0\nred,4,1\n";
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<2>, ClassIndex<2>>(text, {.labels = {"y"}})),
      Contains("line 2, column 1 ('colour'): 'red' is not a number; a feature must be") &&
          Contains("Every value in column 1 ('colour') is text (2 distinct values: 'green', "
                   "'red'): if they are categories, add 'colour' to CsvOptions::categorical"));
  // Read by position the same hint applies (the column is named by the header).
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<2>>(text)),
                    Contains("line 2, column 1: 'red' is not a number") &&
                        Contains("add 'colour' to CsvOptions::categorical"));
  // A typo among numbers, or a file without a header: no such hint.
  CHECK_THROWS_WITH((data::parse_csv<Shape<2>, ClassIndex<2>>("a,x,y\n1,1,0\nred,2,1\n")),
                    Contains("'red' is not a number") && !Contains("categorical"));
  CHECK_THROWS_WITH(
      (data::parse_csv<Shape<2>, ClassIndex<2>>("red,1,0\nred,2,1\n", {.header = false})),
      Contains("'red' is not a number") && !Contains("categorical"));
  // A categorical column that is neither feature nor label.
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, ClassIndex<2>>(
                        text, {.features = {"x"}, .labels = {"y"}, .categorical = {"colour"}})),
                    Contains("CsvOptions::categorical names 'colour', which is neither a feature "
                             "nor a label"));
}

// ----------------------------------------------------------------------------------------------
// CsvCategories files

TEST_CASE("CsvCategories round-trip exactly through save and load, whatever they hold",
          "[csv][categories]") {
  data::CsvCategories c;
  c.set("Species", {"setosa", "versicolor", "virginica"});
  c.set("with \"quotes\", commas", {"a,b", "say \"hi\"", "back\\slash", "in\tside", "two\nlines",
                                    "cr\rhere", "", "é", "日本語", std::string("nul\0byte", 8),
                                    "\x01\x7f", "bad \xff utf-8", "\xe2\x82", "#", "x y"});
  c.set("", {"only"});
  TempPath file("round_trip.categories");
  c.save(file.path);
  const auto loaded = data::CsvCategories::load(file.path);
  CHECK(loaded == c);
  CHECK(loaded.at("with \"quotes\", commas")[9] == std::string("nul\0byte", 8));
  // The file is printable UTF-8 text, one string a line.
  const std::string bytes = file_bytes(file.path);
  for (char ch : bytes) {
    const auto u = static_cast<unsigned char>(ch);
    CHECK((u >= 0x20 || ch == '\n'));
    CHECK(u != 0x7f);
  }
  CHECK(bytes.find("\\xff") != std::string::npos);
  CHECK(bytes.find("日本語") != std::string::npos);
  // The format, exactly.
  data::CsvCategories small;
  small.set("colour", {"blue", "red"});
  TempPath small_file("small.categories");
  small.save(small_file.path);
  CHECK(file_bytes(small_file.path) ==
        "tensorguard-csv-categories 1 1\ncolumn \"colour\" 2\n\"blue\"\n\"red\"\n");
  // index() finds a value, trimmed as the reader trims cells.
  CHECK(small.index("colour", " red ") == 1u);
  CHECK(!small.index("colour", "green"));
  CHECK(!small.index("size", "red"));
}

TEST_CASE("Malformed categories files are refused naming the file and the line",
          "[csv][categories]") {
  const std::string head = "tensorguard-csv-categories 1 1\n";
  const std::array<std::array<std::string, 2>, 22> cases = {{
      {"", "line 1: empty file"},
      {"tensorguard-scaler 1 StandardScaler 2\n", "line 1: not a tensorguard CSV categories file"},
      {"tensorguard-csv-categories 2 1\n", "line 1: version \"2\", this library reads 1"},
      {"tensorguard-csv-categories 1 0\n", "line 1: the column count \"0\" is not a whole number"},
      {"tensorguard-csv-categories 1 x\n", "line 1: the column count \"x\""},
      {"tensorguard-csv-categories 1\n", "line 1: the column count \"\""},
      {"tensorguard-csv-categories 1 1 \n", "line 1: the column count \"1 \""},
      {head, "line 1: the file ends after 0 of 1 columns"},
      {head + "colour 2\n", "line 2: expected 'column \"<name>\" <categories>'"},
      {head + "column colour 2\n", "line 2: the column name: expected a string in double quotes"},
      {head + "column \"colour 2\n", "line 2: the column name: the string has no closing quote"},
      {head + "column \"colour\" -2\n", "line 2: the category count of column \"colour\""},
      {head + "column \"colour\" 2\n\"red\"\n", "line 3: the file ends after 1 of 2 categories"},
      {head + "column \"c\" 1\n\"a\\q\"\n",
       "line 3: category 1 of 1 of column \"c\": unknown "
       "escape \\q"},
      {head + "column \"c\" 1\n\"a\\x4\"\n",
       "line 3: category 1 of 1 of column \"c\": \\x must be followed by two "
       "hexadecimal digits"},
      {head + "column \"c\" 1\n\"a\tb\"\n",
       "line 3: category 1 of 1 of column \"c\": a control "
       "byte inside the string"},
      {head + "column \"c\" 1\n\"a\xff\"\n",
       "line 3: category 1 of 1 of column \"c\": bytes that are not UTF-8"},
      {head + "column \"c\" 1\n\"a\" b\n", "line 3: unexpected text \" b\" after the category"},
      {head + "column \"c\" 2\n\"a\"\n\"a\"\n",
       "line 4: category \"a\" of column \"c\" appears "
       "twice (first on line 3)"},
      {head + "column \"c\" 1\n\" a\"\n", "line 3: category \" a\" starts or ends with a space"},
      {head + "column \"c\" 1\n\"a\"\nmore\n", "line 4: unexpected text after the 1 columns"},
      {"tensorguard-csv-categories 1 2\ncolumn \"c\" 1\n\"a\"\ncolumn \"c\" 1\n\"b\"\n",
       "line 4: column \"c\" appears twice (first on line 2)"},
  }};
  for (const auto& [bytes, why] : cases) {
    INFO("file: " << bytes);
    TempPath file("malformed.categories");
    std::ofstream(file.path, std::ios::binary) << bytes;
    CHECK_THROWS_WITH(data::CsvCategories::load(file.path),
                      Contains("CsvCategories::load: '" + file.path + "' " + why));
  }
  // Well formed, with CRLF line ends and blank lines at the end: read.
  TempPath crlf("crlf.categories");
  std::ofstream(crlf.path, std::ios::binary)
      << "tensorguard-csv-categories 1 1\r\ncolumn \"c\" 2\r\n\"a\"\r\n\"b\"\r\n\r\n";
  CHECK(data::CsvCategories::load(crlf.path).at("c") == std::vector<std::string>{"a", "b"});
  CHECK_THROWS_WITH(data::CsvCategories::load(crlf.path + ".missing"), Contains("cannot read"));
}

TEST_CASE("CsvCategories::set refuses lists that could not encode a column", "[csv][categories]") {
  data::CsvCategories c;
  CHECK_THROWS_WITH(c.set("x", {}), Contains("column \"x\": no categories"));
  CHECK_THROWS_WITH(c.set("x", {"a", "b", "a"}),
                    Contains("category \"a\" is given twice (at 0 and 2)"));
  CHECK_THROWS_WITH(c.set("x", {"a "}), Contains("starts or ends with a space or a tab"));
  CHECK(c.empty());
  CHECK_THROWS_WITH(c.at("x"), Contains("no categories for column \"x\" (it holds no columns)"));
  TempPath file("empty.categories");
  CHECK_THROWS_AS(c.save(file.path), std::logic_error);
  CHECK(!std::filesystem::exists(file.path));
  c.set("x", {"a"});
  CHECK(c.erase("x"));
  CHECK(!c.erase("x"));
}

TEST_CASE("parse_csv by name on arbitrary bytes returns a dataset or refuses the text",
          "[csv][categorical]") {
  const char alphabet[] = {',', ',', '"', '\n', '\r', ' ',  '0',    '1', '.', '-',
                           'a', 'b', 'c', 'N',  'A',  '\0', '\xff', '?', 'x', 'e'};
  std::uint64_t state = 0x2545f4914f6cdd1dull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  std::size_t parsed = 0, refused = 0, other = 0, invalid = 0;
  data::CsvCategories applied;
  applied.set("a", {"a", "b"});
  for (int round = 0; round < 20000; ++round) {
    std::string text(next() % 30, ' ');
    for (char& ch : text) ch = alphabet[next() % sizeof alphabet];
    text = (round % 3 ? "a,b,c\n" : "a,b,c\nb,1,a\na,2,b\n") + text;
    try {
      if (round % 2) {
        data::CsvCategories learned;
        const auto d = data::parse_csv<Shape<3>, ClassIndex<2>>(
            text, {.labels = {"c"}, .categorical = {"a"}}, learned);
        for (std::int32_t label : d.labels()) invalid += label < 0 || label >= 2;
        parsed += d.size() > 0;
      } else {
        const data::CsvCategories& fixed = applied;
        const auto d = data::parse_csv<Shape<3>, OneHot<2>>(
            text, {.features = {"b", "a"}, .labels = {"c"}, .categorical = {"a"}}, fixed);
        for (float label : d.labels()) invalid += label != 0 && label != 1;
        parsed += d.size() > 0;
      }
    } catch (const std::runtime_error&) {
      ++refused;
    } catch (const std::invalid_argument&) {
      ++refused;  // a const CsvCategories that lacks a label column of names
    } catch (...) {
      ++other;
    }
  }
  CHECK(invalid == 0);
  CHECK(other == 0);
  CHECK(parsed > 0);
  CHECK(refused > 0);
}

TEST_CASE("CsvCategories::load on arbitrary bytes returns categories or throws std::runtime_error",
          "[csv][categories]") {
  const std::string head = "tensorguard-csv-categories 1 2\ncolumn \"c\" 2\n";
  const char alphabet[] = {'"', '"',  '\\',   'x',    'n',    '4', '1', '\n', '\r', ' ',
                           'a', '\0', '\xc3', '\xa9', '\xff', 'c', 'o', 'l',  'u',  'm'};
  std::uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  TempPath file("fuzz.categories");
  std::size_t loaded = 0, refused = 0, other = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string tail(next() % 40, ' ');
    for (char& ch : tail) ch = alphabet[next() % sizeof alphabet];
    std::ofstream(file.path, std::ios::binary | std::ios::trunc)
        << head << "\"a\"\n\"b\"\ncolumn \"d\" 1\n"
        << tail;
    std::ofstream(file.path + "x", std::ios::binary | std::ios::trunc) << head << tail;
    for (const std::string& p : {file.path, file.path + "x"}) {
      try {
        const auto c = data::CsvCategories::load(p);
        TempPath again("fuzz_again.categories");
        c.save(again.path);
        loaded += data::CsvCategories::load(again.path) == c;
      } catch (const std::runtime_error&) {
        ++refused;
      } catch (...) {
        ++other;
      }
    }
  }
  std::filesystem::remove(file.path + "x");
  CHECK(other == 0);
  CHECK(loaded > 0);
  CHECK(refused > 0);
}

TEST_CASE("A categorical column whose every cell is missing has no categories to learn",
          "[csv][categorical]") {
  CHECK_THROWS_WITH((data::parse_csv<Shape<1>, ClassIndex<2>>(
                        "c,y\nNA,0\n,1\n", {.labels = {"y"}, .categorical = {"c"}})),
                    Contains("column 'c' is categorical but every cell of it is missing"));
}

// ----------------------------------------------------------------------------------------------
// Serving: one row at a time

TEST_CASE("CsvRowEncoder encodes a served row exactly as read_csv reads the file",
          "[csv][serving]") {
  const auto path = data_file("boston.csv");
  const data::CsvOptions options{
      .features = {"rm", "chas", "lstat"}, .labels = {"medv"}, .categorical = {"chas"}};
  data::CsvCategories categories;
  const auto train = data::read_csv<Shape<4>, Real<Shape<1>>>(path, options, categories);
  // The served rows have every column but the label.
  const std::vector<std::string> header = {"crim",    "zn",    "indus", "chas", "nox",
                                           "rm",      "age",   "dis",   "rad",  "tax",
                                           "ptratio", "black", "lstat"};
  const data::CsvRowEncoder<Shape<4>> encoder(header, options, categories);
  const auto row =
      encoder.encode_csv("0.00632,18,2.31,0,0.538,6.575,65.2,4.09,1,296,15.3,396.9,4.98");
  for (std::size_t f = 0; f < 4; ++f) CHECK(row[f] == train.input(0)[f]);
  const auto same = encoder.encode({"0.00632", "18", "2.31", "0", "0.538", "6.575", "65.2", "4.09",
                                    "1", "296", "15.3", "396.9", "4.98"});
  CHECK(same == row);
  // A missing number is NaN; a missing category NaN in each of its values.
  const auto missing = encoder.encode({"", "", "", "NA", "", "6", "", "", "", "", "", "", "NA"});
  CHECK(missing[0] == 6.0f);
  CHECK(std::isnan(missing[1]));
  CHECK(std::isnan(missing[2]));
  CHECK(std::isnan(missing[3]));
  // Errors name the row, the column and the text.
  CHECK_THROWS_WITH(encoder.encode_csv("0,0,0,2,0,6,0,0,0,0,0,0,5", "request 7"),
                    Contains("CsvRowEncoder: 'request 7' line 1, column 4 ('chas'): '2' is not "
                             "one of the 2 categories of 'chas' in the CsvCategories passed ('0', "
                             "'1')"));
  CHECK_THROWS_WITH(encoder.encode_csv("0,0,0,1,0,six,0,0,0,0,0,0,5"),
                    Contains("column 6 ('rm'): 'six' is not a number"));
  CHECK_THROWS_WITH(encoder.encode_csv("0,0,0,1,0,6,0,0,0,0,0,0"),
                    Contains("'row' has 12 cells but the header names 13 columns"));
  CHECK_THROWS_WITH(encoder.encode({"1"}), Contains("'row' has 1 cell but the header names 13"));
  CHECK_THROWS_WITH(encoder.encode_csv("0,0,0,1,0,6,0,0,0,0,0,0,5\n1,1,1,1,1,1,1,1,1,1,1,1,1\n"),
                    Contains("holds more than one row (another starts on line 2)"));
  data::CsvOptions zeros = options;
  zeros.unknown_category = data::CsvUnknownCategory::zeros;
  const data::CsvRowEncoder<Shape<4>> lenient(header, zeros, categories);
  const auto unknown = lenient.encode_csv("0,0,0,2,0,6,0,0,0,0,0,0,5");
  CHECK(unknown[1] + unknown[2] == 0.0f);
  // Built with other options or categories than the training file's: refused at once.
  CHECK_THROWS_WITH((data::CsvRowEncoder<Shape<3>>(header, options, categories)),
                    Contains("the features expand to 4 values ('rm' 1, 'chas' one-hot 2 ('0', "
                             "'1'), 'lstat' 1) but the model's input is Shape<3>"));
  CHECK_THROWS_WITH((data::CsvRowEncoder<Shape<4>>(header, options, data::CsvCategories{})),
                    Contains("has no categories for column 'chas'"));
  CHECK_THROWS_WITH((data::CsvRowEncoder<Shape<4>>({"rm", "lstat"}, options, categories)),
                    Contains("CsvOptions::features names 'chas', which the header does not hold"));
  // Features left empty: every column of the row that is not a label.
  const data::CsvRowEncoder<Shape<2>> all({"a", "y", "b"}, {.labels = {"y"}},
                                          data::CsvCategories{});
  const auto ab = all.encode({"1", "not read", " 2 "});
  CHECK(ab[0] == 1.0f);
  CHECK(ab[1] == 2.0f);
  // A cell is its text: quotes in it are not CSV quoting.
  CHECK_THROWS_WITH(all.encode({"1", "", "\"2\""}),
                    Contains("column 3 ('b'): '\"2\"' is not a number"));
}
