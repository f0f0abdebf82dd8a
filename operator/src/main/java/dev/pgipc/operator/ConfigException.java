package dev.pgipc.operator;

/** A bad setting; the message is one line meant for the user, printed without a stack trace. */
public class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}
