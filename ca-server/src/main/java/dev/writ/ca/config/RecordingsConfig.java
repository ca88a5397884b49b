package dev.writ.ca.config;

import static dev.writ.ca.config.CaConfig.require;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.writ.ca.token.IssuerConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the CA keeps session recordings: {@code recordings: PATH} (a directory, the default
 * {@code recordings} beside the database) or a mapping. With {@code store: s3} every CA replica
 * reads every recording from one bucket of S3 or an S3-compatible server. The secret access key
 * is read at start from an environment variable or a file of mode 0600; the config holds only
 * their names.
 *
 * @param store      {@code local} (default) or {@code s3}
 * @param directory  local: the directory
 * @param endpoint   s3: the server's URL (https, or http on a loopback address); absent means AWS's endpoint
 *                   of the region
 * @param bucket     s3: the bucket, which must exist
 * @param prefix     s3: a key prefix under which the recordings go (e.g. {@code writ/}); default none
 * @param region     s3: the region to sign for (default us-east-1)
 * @param pathStyle  s3: address the bucket in the path rather than the host name (most S3-compatible servers)
 * @param accessKeyId        s3: the access key id, or
 * @param accessKeyIdEnv     s3: the environment variable that holds it
 * @param secretAccessKeyEnv  s3: the environment variable that holds the secret access key, or
 * @param secretAccessKeyFile s3: a file (mode 0600) that holds it; with no key configured the
 *                            AWS SDK's default credentials chain is used (environment, instance role)
 * @param partSizeMib s3: the size of the parts a large recording is uploaded in, 5 to 512 MiB (default 8)
 */
public record RecordingsConfig(
        @JsonProperty("store") Kind store,
        @JsonProperty("directory") Path directory,
        @JsonProperty("endpoint") URI endpoint,
        @JsonProperty("bucket") String bucket,
        @JsonProperty("prefix") String prefix,
        @JsonProperty("region") String region,
        @JsonProperty("path_style") Boolean pathStyle,
        @JsonProperty("access_key_id") String accessKeyId,
        @JsonProperty("access_key_id_env") String accessKeyIdEnv,
        @JsonProperty("secret_access_key_env") String secretAccessKeyEnv,
        @JsonProperty("secret_access_key_file") Path secretAccessKeyFile,
        @JsonProperty("part_size_mib") Integer partSizeMib) {

    public enum Kind { local, s3 }

    public static final int DEFAULT_PART_SIZE_MIB = 8;

    @JsonCreator
    public RecordingsConfig {
        store = Objects.requireNonNullElse(store, Kind.local);
        if (store == Kind.local) {
            require(endpoint == null && bucket == null && prefix == null && region == null && pathStyle == null
                            && accessKeyId == null && accessKeyIdEnv == null && secretAccessKeyEnv == null
                            && secretAccessKeyFile == null && partSizeMib == null,
                    "recordings: endpoint, bucket, prefix, region, path_style, access keys and part_size_mib are for"
                            + " store: s3 only");
        } else {
            require(directory == null, "recordings.directory is for store: local only");
            require(bucket != null && bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"),
                    "recordings.bucket is required with store: s3: 3 to 63 lower-case letters, digits, '.' or '-'");
            if (endpoint != null) {
                IssuerConfig.requireSecureTransport(endpoint, "recordings.endpoint");
            }
            prefix = prefix == null ? "" : prefix;
            require(!prefix.startsWith("/") && prefix.length() <= 256 && !prefix.contains(".."),
                    "recordings.prefix must be a relative key prefix such as writ/");
            region = region == null ? "us-east-1" : region;
            require(region.matches("[a-z0-9-]{1,64}"), "recordings.region must be a region name such as us-east-1");
            pathStyle = Boolean.TRUE.equals(pathStyle);
            require(accessKeyId == null || accessKeyIdEnv == null,
                    "recordings: give access_key_id or access_key_id_env, not both");
            require(secretAccessKeyEnv == null || secretAccessKeyFile == null,
                    "recordings: give secret_access_key_env or secret_access_key_file, not both");
            boolean id = accessKeyId != null || accessKeyIdEnv != null;
            boolean secret = secretAccessKeyEnv != null || secretAccessKeyFile != null;
            require(id == secret, "recordings: an access key id needs its secret (secret_access_key_env or"
                    + " secret_access_key_file) and the other way round");
            partSizeMib = partSizeMib == null ? DEFAULT_PART_SIZE_MIB : partSizeMib;
            require(partSizeMib >= 5 && partSizeMib <= 512, "recordings.part_size_mib must be 5 to 512");
        }
    }

    /** {@code recordings: PATH}: a local directory. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static RecordingsConfig local(String directory) {
        require(directory != null && !directory.isBlank(), "recordings must be a directory or a mapping");
        return local(Path.of(directory));
    }

    public static RecordingsConfig local(Path directory) {
        return new RecordingsConfig(Kind.local, directory, null, null, null, null, null, null, null, null, null, null);
    }

    /** With the local directory defaulted to {@code directory} when none is given. */
    RecordingsConfig withDefaultDirectory(Path defaultDirectory) {
        return store == Kind.local && directory == null ? local(defaultDirectory) : this;
    }

    /** Relative paths resolved against {@code base}. */
    RecordingsConfig resolvedAgainst(Path base) {
        return new RecordingsConfig(store, directory == null ? null : base.resolve(directory).normalize(), endpoint,
                bucket, prefix, region, pathStyle, accessKeyId, accessKeyIdEnv, secretAccessKeyEnv,
                secretAccessKeyFile == null ? null : base.resolve(secretAccessKeyFile).normalize(), partSizeMib);
    }

    /** Where the recordings are, for messages. */
    @Override
    public String toString() {
        return store == Kind.local ? "directory " + directory
                : "bucket " + bucket + (prefix.isEmpty() ? "" : " (prefix " + prefix + ")")
                + (endpoint == null ? "" : " at " + endpoint);
    }
}
