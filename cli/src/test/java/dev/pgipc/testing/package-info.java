/**
 * Test harness for real System V shared memory and real PostgreSQL servers, shipped in the
 * sidecar's test-jar for reuse by the operator's tests.
 *
 * <ul>
 *   <li>{@link dev.pgipc.testing.PgCluster}: initdb, start/stop, psql, held sessions, and crashes
 *       ({@code crashAll}, {@code crashWithStoppedBackend}, {@code killPostmaster}, {@code copyTo});
 *       cleans up every process, segment, DSM file and directory on close.
 *   <li>{@link dev.pgipc.testing.Subreaper}: the child JVM the server runs under, reaping like a
 *       pod's init, or never reaping (zombie postmaster).
 *   <li>{@link dev.pgipc.testing.SegmentHolder} / {@link dev.pgipc.testing.AttachAndWait}: another
 *       process attached to (or creating) segments; {@link dev.pgipc.testing.TestSegments}: segments
 *       of the test JVM; {@link dev.pgipc.testing.PgShmemHeaders}: fake PostgreSQL headers.
 * </ul>
 *
 * <p>Why the non-reaping mode is a subreaper that does not reap rather than PID 1: on the build
 * machines PID 1 does reap orphans, but lazily (a killed orphan stayed a zombie for 1.1-1.8 s in
 * measurements), so relying on it would make the "zombie postmaster" case a race.
 */
package dev.pgipc.testing;
