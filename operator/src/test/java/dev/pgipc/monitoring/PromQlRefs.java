package dev.pgipc.monitoring;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a PromQL expression refers to: metric names with the labels its matchers use, and the
 * labels of by/without/on/ignoring/group_left/group_right clauses. A small lexer, enough for the
 * expressions in pgipc's alert rules and dashboard; it throws on anything it does not understand,
 * so an expression it cannot read fails the test instead of passing unchecked.
 */
final class PromQlRefs {
  static final Set<String> FUNCTIONS = Set.of("sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk",
      "bottomk", "quantile", "count_values", "group", "rate", "irate", "increase", "delta", "idelta", "deriv",
      "histogram_quantile", "time", "vector", "scalar", "abs", "absent", "absent_over_time", "clamp_min", "clamp_max",
      "max_over_time", "min_over_time", "avg_over_time", "sum_over_time", "count_over_time", "last_over_time",
      "changes", "resets", "label_replace", "label_join", "timestamp", "round", "ceil", "floor", "sort", "sort_desc",
      "label_values");
  /** Aggregation operators: "sum by (a) (x)" puts the clause between the name and its parenthesis. */
  static final Set<String> AGGREGATIONS = Set.of("sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk",
      "bottomk", "quantile", "count_values", "group");
  static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "inf", "nan", "atan2");
  static final Set<String> GROUPING = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");

  /** metric name to the label names its selectors match on (in the order met). */
  final Map<String, Set<String>> metrics = new LinkedHashMap<>();
  final Set<String> groupingLabels = new LinkedHashSet<>();

  private final String s;
  private int i;

  private PromQlRefs(String expr) {
    this.s = expr;
  }

  /** Grafana's variables replaced by something PromQL accepts. */
  static String fromGrafana(String expr) {
    return expr.replace("$__rate_interval", "5m").replace("$__interval", "1m").replace("$__range", "6h");
  }

  static PromQlRefs of(String expr) {
    PromQlRefs r = new PromQlRefs(expr);
    r.lex();
    return r;
  }

  private void lex() {
    while (true) {
      skipSpace();
      if (i >= s.length()) {
        return;
      }
      char c = s.charAt(i);
      if (Character.isLetter(c) || c == '_' || c == ':') {
        String id = ident();
        skipSpace();
        boolean call = i < s.length() && s.charAt(i) == '(';
        if (GROUPING.contains(id)) {
          if (call) {
            groupingLabels.addAll(labelList());
          } else if (!id.startsWith("group_")) {
            throw new IllegalArgumentException(id + " without a label list in: " + s);
          }
        } else if (KEYWORDS.contains(id)) {
          // nothing to check
        } else if (AGGREGATIONS.contains(id)) {
          // its by/without clause and operand follow
        } else if (call) {
          if (!FUNCTIONS.contains(id)) {
            throw new IllegalArgumentException("unknown function " + id + " in: " + s);
          }
        } else {
          Set<String> labels = metrics.computeIfAbsent(id, k -> new LinkedHashSet<>());
          if (i < s.length() && s.charAt(i) == '{') {
            labels.addAll(matchers());
          }
        }
      } else if (c == '{') {
        throw new IllegalArgumentException("a selector without a metric name in: " + s);
      } else if (c == '[') {
        int end = s.indexOf(']', i);
        if (end < 0) {
          throw new IllegalArgumentException("unclosed [ in: " + s);
        }
        i = end + 1;
      } else if (c == '"' || c == '\'' || c == '`') {
        string();
      } else if (Character.isDigit(c) || c == '.') {
        while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '.')) {
          i++;
        }
      } else if ("()+-*/%^=!<>,".indexOf(c) >= 0) {
        i++;
      } else {
        throw new IllegalArgumentException("unexpected '" + c + "' at " + i + " in: " + s);
      }
    }
  }

  private void skipSpace() {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
  }

  private String ident() {
    int start = i;
    while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == ':')) {
      i++;
    }
    return s.substring(start, i);
  }

  private String string() {
    char q = s.charAt(i++);
    StringBuilder b = new StringBuilder();
    while (i < s.length() && s.charAt(i) != q) {
      if (s.charAt(i) == '\\' && q != '`') {
        i++;
      }
      b.append(s.charAt(i++));
    }
    if (i >= s.length()) {
      throw new IllegalArgumentException("unclosed string in: " + s);
    }
    i++;
    return b.toString();
  }

  /** "(a, b)" */
  private List<String> labelList() {
    List<String> out = new ArrayList<>();
    i++; // (
    while (true) {
      skipSpace();
      if (s.charAt(i) == ')') {
        i++;
        return out;
      }
      if (s.charAt(i) == ',') {
        i++;
        continue;
      }
      String id = ident();
      if (id.isEmpty()) {
        throw new IllegalArgumentException("bad label list at " + i + " in: " + s);
      }
      out.add(id);
    }
  }

  /** "{a="x", b=~"y"}" */
  private List<String> matchers() {
    List<String> out = new ArrayList<>();
    i++; // {
    while (true) {
      skipSpace();
      char c = s.charAt(i);
      if (c == '}') {
        i++;
        return out;
      }
      if (c == ',') {
        i++;
        continue;
      }
      String label = ident();
      skipSpace();
      int opStart = i;
      while ("=!~".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
      String op = s.substring(opStart, i);
      if (label.isEmpty() || !Set.of("=", "!=", "=~", "!~").contains(op)) {
        throw new IllegalArgumentException("bad matcher at " + i + " in: " + s);
      }
      skipSpace();
      string();
      out.add(label);
    }
  }
}
