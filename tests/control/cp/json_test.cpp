// The operator socket's JSON: writer escaping, parser, exact numbers.
#include "control/json.h"

#include <gtest/gtest.h>

namespace softwire::cp {
namespace {

TEST(Json, WriterEscapesAndSeparates) {
  JsonWriter w;
  w.begin_object().key("a\"b").value("x\n\x01").key("n").value(uint64_t{18446744073709551615ull});
  w.key("list").begin_array().value(true).null().value(-3).end_array().end_object();
  EXPECT_EQ(w.text(),
            "{\"a\\\"b\":\"x\\n\\u0001\",\"n\":18446744073709551615,\"list\":[true,null,-3]}");
}

TEST(Json, ParsesAndKeepsNumbersExact) {
  auto v = parse_json(R"( {"args":["sa","add","k=\u00e9\n"], "id": 18446744073709551615,
                          "json": true, "o": {"x": [1.5, null]}} )");
  ASSERT_TRUE(v.has_value());
  ASSERT_TRUE(v->find("args")->is_array());
  EXPECT_EQ(v->find("args")->array[2].string, "k=\xc3\xa9\n");
  EXPECT_TRUE(v->find("json")->boolean);
  EXPECT_EQ(to_json(*v->find("id")), "18446744073709551615");
  EXPECT_EQ(to_json(*v->find("o")), "{\"x\":[1.5,null]}");
  std::string error;
  EXPECT_FALSE(parse_json("{\"a\":", &error).has_value());
  EXPECT_NE(error, "");
  EXPECT_FALSE(parse_json("[1,2] x").has_value());
  EXPECT_FALSE(parse_json("\"abc").has_value());
  EXPECT_FALSE(parse_json(std::string(100, '[')).has_value());
}

TEST(Json, OperatorRequests) {
  auto r = parse_operator_request(
      R"({"id": 42, "extra": {"x": [1, "y"]}, "json": true, "args": ["sa", "add", "k=\u0041"]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, 42u);
  EXPECT_TRUE(r->json);
  EXPECT_EQ(r->args, (std::vector<std::string>{"sa", "add", "k=A"}));
  r = parse_operator_request(R"({"args":[]})");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->args.empty());
  std::string error;
  EXPECT_FALSE(parse_operator_request(R"({"id":1})", &error));
  EXPECT_EQ(error, "args: missing at offset 8");
  EXPECT_FALSE(parse_operator_request(R"({"args":["a",1]})", &error));
  EXPECT_EQ(error.rfind("args: expected strings", 0), 0u);
  EXPECT_FALSE(parse_operator_request(R"({"args":["a"]} x)"));
  EXPECT_FALSE(parse_operator_request(R"(["a"])"));
  EXPECT_FALSE(parse_operator_request(R"({"args":["a")"));
}

// Found by fuzz_json: an unpaired surrogate escape decoded to bytes that are
// not UTF-8 (ED A0 80), and a high surrogate followed by another \u escape
// was combined with it whatever it was (an unsigned underflow).
TEST(Json, UnpairedSurrogatesDecodeToReplacementCharacter) {
  auto decoded = [](const char* json) {
    auto v = parse_json(json);
    return v && v->is_string() ? v->string : std::string("(not parsed)");
  };
  EXPECT_EQ(decoded(R"("\ud83d\ude00")"), "\xf0\x9f\x98\x80");  // U+1F600, a real pair
  EXPECT_EQ(decoded(R"("\ud800")"), "\xef\xbf\xbd");
  EXPECT_EQ(decoded(R"("\udc00x")"), "\xef\xbf\xbdx");
  EXPECT_EQ(decoded(R"("\ud800\u0041")"), std::string("\xef\xbf\xbd") + "A");
  EXPECT_EQ(decoded(R"("\ud800\ud83d\ude00")"), "\xef\xbf\xbd\xf0\x9f\x98\x80");
  EXPECT_FALSE(parse_json(R"("\ud800\u00")").has_value());
}

// Found while fuzzing parse_operator_request: an id of 1e999 or 2^64 was
// converted from a double out of range (undefined behaviour); large ids lost
// precision.
TEST(Json, OperatorRequestIdsAreExactIntegers) {
  auto r = parse_operator_request(R"({"id":18446744073709551615,"args":[]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, 18446744073709551615ull);
  r = parse_operator_request(R"({"id":9007199254740993,"args":[]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, 9007199254740993ull);  // 2^53 + 1: not a double
  for (const char* bad : {R"({"id":18446744073709551616,"args":[]})", R"({"id":1e999,"args":[]})",
                          R"({"id":-1,"args":[]})", R"({"id":1.5,"args":[]})"}) {
    std::string error;
    EXPECT_FALSE(parse_operator_request(bad, &error)) << bad;
    EXPECT_EQ(error.rfind("id: not an integer", 0), 0u) << bad << ": " << error;
  }
  r = parse_operator_request(R"({"id":"x","args":["a"]})");  // not a number: ignored
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, 0u);
}

// Found by review while writing fuzz_json: numbers such as "+1" or ".5"
// were accepted and to_json passed them through, so its output was not JSON.
TEST(Json, NumbersFollowTheJsonGrammar) {
  for (const char* good : {"0", "-0", "12", "-1.5", "1e3", "1E+3", "2.5e-7", "0.0"}) {
    auto v = parse_json(good);
    ASSERT_TRUE(v) << good;
    EXPECT_EQ(to_json(*v), good);
  }
  EXPECT_DOUBLE_EQ(parse_json("-2.5e-1")->number, -0.25);
  for (const char* bad : {"+1", ".5", "1.", "01", "-", "1e", "1e+", "--1", "1.e3", "0x10", "-.5"})
    EXPECT_FALSE(parse_json(bad).has_value()) << bad;
}

}  // namespace
}  // namespace softwire::cp
