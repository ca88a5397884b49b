/**
 * The audit log's wire format ({@link dev.writ.protocol.audit.AuditRecord}, one per line of
 * {@code GET /v1/audit}) and its hash chain ({@link dev.writ.protocol.audit.AuditChain}), shared
 * by the CA that writes the log and the CLI that re-verifies it.
 */
package dev.writ.protocol.audit;
