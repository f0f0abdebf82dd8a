package dev.pgipc.snapshot;

import java.util.List;

/** The last lines of a PostgreSQL server log, as read (its tail only). */
public record ServerLog(String path, List<String> lines) {}
