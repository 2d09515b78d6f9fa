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

}  // namespace
}  // namespace softwire::cp
