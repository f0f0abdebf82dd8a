package dev.pgipc.testing;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.SimpleType;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates Kubernetes CEL expressions offline with dev.cel (no Kubernetes extension libraries).
 * Every variable is declared DYN, as the apiserver does for schemaless input; values are plain
 * maps and lists with JSON integers widened to Long, which is what CEL's int is.
 */
public final class CelEval {

  private static final KubernetesSerialization JSON = new KubernetesSerialization();

  private final Cel cel;

  public CelEval(String... variables) {
    var builder = CelFactory.standardCelBuilder().setStandardMacros(CelStandardMacro.STANDARD_MACROS);
    for (String v : variables) {
      builder.addVar(v, SimpleType.DYN);
    }
    cel = builder.build();
  }

  /** Parses and type-checks; fails with CEL's own error text. */
  public CelAbstractSyntaxTree compile(String expression) {
    CelValidationResult result = cel.compile(expression);
    if (result.hasError()) {
      throw new AssertionError("CEL does not compile: " + expression + "\n" + result.getErrorString());
    }
    try {
      return result.getAst();
    } catch (CelValidationException e) {
      throw new AssertionError(e);
    }
  }

  /** Evaluates {@code expression}; each value is converted to CEL-friendly maps, lists and Longs. */
  public Object eval(String expression, Map<String, ?> variables) throws CelEvaluationException {
    Map<String, Object> input = new LinkedHashMap<>();
    variables.forEach((k, v) -> input.put(k, toCel(v)));
    return cel.createProgram(compile(expression)).eval(input);
  }

  /** Like {@link #eval} but a runtime error (e.g. missing key) counts as false: the apiserver rejects. */
  public boolean admits(String expression, Map<String, ?> variables) {
    try {
      return Boolean.TRUE.equals(eval(expression, variables));
    } catch (CelEvaluationException e) {
      return false;
    }
  }

  /** Java object (model class, map, list) to plain JSON-shaped values with Long integers. */
  public static Object toCel(Object value) {
    if (value == null || value instanceof String || value instanceof Boolean || value instanceof Long
        || value instanceof Double) {
      return value;
    }
    if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof Float) {
      return ((Float) value).doubleValue();
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> {
        if (v != null) {
          out.put(String.valueOf(k), toCel(v));
        }
      });
      return out;
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      list.forEach(v -> out.add(toCel(v)));
      return out;
    }
    return toCel(JSON.convertValue(value, Object.class));
  }
}
