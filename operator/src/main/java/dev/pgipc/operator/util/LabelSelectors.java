package dev.pgipc.operator.util;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import java.util.List;
import java.util.Map;

/**
 * metav1.LabelSelector semantics, except that an empty or null selector matches NOTHING: a policy
 * with an empty selector would otherwise guard every pod of its namespace (the CRD refuses it too).
 */
public final class LabelSelectors {
  private LabelSelectors() {}

  /** Null when the selector is usable, otherwise why not (one line). */
  public static String problem(LabelSelector selector) {
    if (selector == null) {
      return "spec.selector is missing";
    }
    boolean noLabels = selector.getMatchLabels() == null || selector.getMatchLabels().isEmpty();
    boolean noExpr = selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty();
    if (noLabels && noExpr) {
      return "spec.selector is empty; it would select every pod of the namespace";
    }
    if (!noExpr) {
      for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
        String op = r.getOperator();
        if (r.getKey() == null || r.getKey().isEmpty()) {
          return "spec.selector.matchExpressions has an entry without key";
        }
        if (!"In".equals(op) && !"NotIn".equals(op) && !"Exists".equals(op) && !"DoesNotExist".equals(op)) {
          return "spec.selector.matchExpressions operator must be In, NotIn, Exists or DoesNotExist, got " + op;
        }
        boolean hasValues = r.getValues() != null && !r.getValues().isEmpty();
        if (("In".equals(op) || "NotIn".equals(op)) && !hasValues) {
          return "spec.selector.matchExpressions " + r.getKey() + " " + op + " needs values";
        }
        if (("Exists".equals(op) || "DoesNotExist".equals(op)) && hasValues) {
          return "spec.selector.matchExpressions " + r.getKey() + " " + op + " must not have values";
        }
      }
    }
    return null;
  }

  public static boolean matches(LabelSelector selector, Map<String, String> labels) {
    if (problem(selector) != null) {
      return false;
    }
    Map<String, String> l = labels == null ? Map.of() : labels;
    if (selector.getMatchLabels() != null) {
      for (Map.Entry<String, String> e : selector.getMatchLabels().entrySet()) {
        if (!e.getValue().equals(l.get(e.getKey()))) {
          return false;
        }
      }
    }
    if (selector.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
        String v = l.get(r.getKey());
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        boolean ok = switch (r.getOperator()) {
          case "In" -> v != null && values.contains(v);
          case "NotIn" -> v == null || !values.contains(v);
          case "Exists" -> l.containsKey(r.getKey());
          case "DoesNotExist" -> !l.containsKey(r.getKey());
          default -> false;
        };
        if (!ok) {
          return false;
        }
      }
    }
    return true;
  }
}
