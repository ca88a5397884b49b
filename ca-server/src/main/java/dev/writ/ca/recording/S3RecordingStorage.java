package dev.writ.ca.recording;

import dev.writ.ca.config.RecordingsConfig;
import dev.writ.ca.keys.KeyFiles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadBucketRequest;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * Recordings in a bucket of S3 or an S3-compatible server, read by every CA replica. A recording
 * is uploaded as it arrives: up to one part it is held (one part's buffer) and put whole when kept;
 * a larger one goes in parts of {@code part_size_mib} (a multipart upload), which S3 shows under
 * the recording's name only when the upload is completed, once the recording is kept; a recording
 * that is not kept has its upload aborted. Reads stream from the object.
 */
public final class S3RecordingStorage implements RecordingStorage {

    private static final Logger LOG = LoggerFactory.getLogger(S3RecordingStorage.class);
    private static final String MEDIA_TYPE = "application/x-asciicast";

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final int partSize;
    private final String description;

    S3RecordingStorage(S3Client s3, String bucket, String prefix, int partSize, String description) {
        this.s3 = s3;
        this.bucket = bucket;
        this.prefix = prefix;
        this.partSize = partSize;
        this.description = description;
    }

    /**
     * Connects to the bucket of {@code config} and checks that it is there and these credentials
     * may use it; {@code env} is the process environment. The message of the exception says what is wrong.
     */
    public static S3RecordingStorage open(RecordingsConfig config, Function<String, String> env) throws IOException {
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(config.region()))
                .forcePathStyle(config.pathStyle())
                .credentialsProvider(credentials(config, env))
                .httpClientBuilder(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofSeconds(60)))
                // checksums only where S3 requires them: S3-compatible servers do not all take the newer ones
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
        if (config.endpoint() != null) {
            builder.endpointOverride(config.endpoint());
        }
        S3Client s3 = builder.build();
        S3RecordingStorage storage = new S3RecordingStorage(s3, config.bucket(), config.prefix(),
                config.partSizeMib() << 20, config.toString());
        try {
            s3.headBucket(HeadBucketRequest.builder().bucket(config.bucket()).build());
        } catch (S3Exception e) {
            s3.close();
            throw new IOException(switch (e.statusCode()) {
                case 301, 400 -> "the bucket is not in region " + config.region() + " or the endpoint is wrong (HTTP "
                        + e.statusCode() + ")";
                case 401, 403 -> "access denied (HTTP " + e.statusCode() + "): check the access key id and its secret,"
                        + " and that they may use the bucket";
                case 404 -> "no such bucket";
                default -> "HTTP " + e.statusCode() + " from the server";
            });
        } catch (SdkException e) {
            s3.close();
            throw new IOException("cannot reach the server: " + e.getMessage());
        }
        return storage;
    }

    private static AwsCredentialsProvider credentials(RecordingsConfig config, Function<String, String> env)
            throws IOException {
        if (config.accessKeyId() == null && config.accessKeyIdEnv() == null) {
            return DefaultCredentialsProvider.builder().build();
        }
        String id = config.accessKeyId() != null ? config.accessKeyId()
                : fromEnv(env, config.accessKeyIdEnv(), "recordings.access_key_id_env");
        String secret;
        if (config.secretAccessKeyEnv() != null) {
            secret = fromEnv(env, config.secretAccessKeyEnv(), "recordings.secret_access_key_env");
        } else {
            try {
                KeyFiles.requireOwnerOnly(config.secretAccessKeyFile());
                secret = Files.readString(config.secretAccessKeyFile(), StandardCharsets.UTF_8).strip();
            } catch (NoSuchFileException e) {
                throw new IOException("recordings.secret_access_key_file " + config.secretAccessKeyFile()
                        + " does not exist");
            }
            if (secret.isEmpty()) {
                throw new IOException("recordings.secret_access_key_file " + config.secretAccessKeyFile() + " is empty");
            }
        }
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(id, secret));
    }

    private static String fromEnv(Function<String, String> env, String name, String key) throws IOException {
        String value = env.apply(name);
        if (value == null || value.isBlank()) {
            throw new IOException(key + ": the environment variable " + name + " is not set");
        }
        return value.strip();
    }

    /** For {@link #open}: the process environment. */
    public static Function<String, String> processEnvironment() {
        Map<String, String> env = System.getenv();
        return env::get;
    }

    @Override
    public Receiving receive(String id, String sha256) {
        return new Upload(RecordingStorage.name(id, sha256));
    }

    /** A recording on its way into the bucket: one part's buffer, then the parts of a multipart upload. */
    private final class Upload implements Receiving {
        private final String name;
        private final String key;
        private final byte[] buffer = new byte[partSize];
        private final List<CompletedPart> parts = new ArrayList<>();
        private int filled;
        private String uploadId;
        private boolean kept;

        Upload(String name) {
            this.name = name;
            this.key = prefix + name;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            while (length > 0) {
                if (filled == buffer.length) {
                    uploadPart();
                }
                int n = Math.min(length, buffer.length - filled);
                System.arraycopy(bytes, offset, buffer, filled, n);
                filled += n;
                offset += n;
                length -= n;
            }
        }

        private void uploadPart() throws IOException {
            try {
                if (uploadId == null) {
                    uploadId = s3.createMultipartUpload(CreateMultipartUploadRequest.builder().bucket(bucket).key(key)
                            .contentType(MEDIA_TYPE).build()).uploadId();
                }
                int number = parts.size() + 1;
                String eTag = s3.uploadPart(UploadPartRequest.builder().bucket(bucket).key(key).uploadId(uploadId)
                        .partNumber(number).contentLength((long) filled).build(), body()).eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(eTag).build());
                filled = 0;
            } catch (SdkException e) {
                throw failure("upload a part of", e);
            }
        }

        private RequestBody body() {
            int length = filled;
            return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(buffer, 0, length), length,
                    "application/octet-stream");
        }

        @Override
        public String keep() throws IOException {
            try {
                if (uploadId == null) {
                    s3.putObject(PutObjectRequest.builder().bucket(bucket).key(key).contentType(MEDIA_TYPE)
                            .contentLength((long) filled).build(), body());
                } else {
                    if (filled > 0) {
                        uploadPart();
                    }
                    s3.completeMultipartUpload(CompleteMultipartUploadRequest.builder().bucket(bucket).key(key)
                            .uploadId(uploadId).multipartUpload(CompletedMultipartUpload.builder().parts(parts).build())
                            .build());
                }
            } catch (SdkException e) {
                throw failure("store", e);
            }
            kept = true;
            return name;
        }

        @Override
        public void close() {
            if (kept || uploadId == null) {
                return;
            }
            try {
                s3.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(bucket).key(key).uploadId(uploadId)
                        .build());
            } catch (SdkException e) {
                LOG.warn("cannot abort the upload of {} to {}: {}", key, description, e.getMessage());
            }
        }
    }

    @Override
    public InputStream open(String name) throws IOException {
        try {
            return s3.getObject(GetObjectRequest.builder().bucket(bucket).key(prefix + name).build());
        } catch (NoSuchKeyException e) {
            throw new NoSuchFileException(name);
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw new NoSuchFileException(name);
            }
            throw failure("read", e);
        } catch (SdkException e) {
            throw failure("read", e);
        }
    }

    @Override
    public void delete(String name) throws IOException {
        try {
            s3.deleteObject(DeleteObjectRequest.builder().bucket(bucket).key(prefix + name).build());
        } catch (SdkException e) {
            throw failure("delete", e);
        }
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        s3.close();
    }

    private IOException failure(String what, SdkException e) {
        String status = e instanceof S3Exception s3e ? "HTTP " + s3e.statusCode() : e.getClass().getSimpleName();
        return new IOException("cannot " + what + " a recording in " + description + " (" + status + "): "
                + e.getMessage(), e);
    }
}
