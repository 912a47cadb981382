using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using DittoFs.Storage.Diagnostics;

namespace DittoFs.Storage.Payload.S3;

/// <summary>
/// <see cref="IObjectStore"/> on AWSSDK.S3, for AWS or any S3-compatible service (endpoint,
/// region, path-style). Uploads carry Content-MD5, so the service rejects a corrupted body, and
/// the block's CRC-32C as user metadata (x-amz-meta-crc32c). The SDK's newer default request
/// checksums (trailers) are switched to "when required": several S3-compatible stores reject them.
/// </summary>
public sealed class S3ObjectStore : IObjectStore
{
    private const string CrcMetadataKey = "crc32c";
    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly string _prefix;
    private readonly StorageMetrics? _metrics;

    public S3ObjectStore(S3ObjectStoreOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(options.Bucket);
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = options.MaxErrorRetry,
            Timeout = options.Timeout,
        };
        if (string.IsNullOrEmpty(options.Endpoint))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }
        else
        {
            config.ServiceURL = options.Endpoint;
            config.AuthenticationRegion = options.Region;
        }
        _client = string.IsNullOrEmpty(options.AccessKey)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
        _bucket = options.Bucket;
        _prefix = options.Prefix;
        _metrics = options.Metrics;
    }

    public async Task PutAsync(string key, ReadOnlyMemory<byte> data, uint crc32c, CancellationToken cancellationToken = default)
    {
        if (!MemoryMarshal.TryGetArray(data, out ArraySegment<byte> segment)) segment = data.ToArray();
        Span<byte> md5 = stackalloc byte[16];
        MD5.HashData(data.Span, md5);
        using var body = new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false);
        var request = new PutObjectRequest
        {
            BucketName = _bucket,
            Key = _prefix + key,
            InputStream = body,
            AutoCloseStream = false,
            MD5Digest = Convert.ToBase64String(md5),
            ContentType = "application/octet-stream",
        };
        request.Metadata.Add(CrcMetadataKey, crc32c.ToString("x8", CultureInfo.InvariantCulture));
        long start = Stopwatch.GetTimestamp();
        bool failed = true;
        try
        {
            await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
            failed = false;
        }
        finally
        {
            _metrics?.S3Request(S3Operation.Put, start, failed);
        }
    }

    public async Task<int> GetAsync(string key, long offset, Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (destination.IsEmpty) return 0;
        var request = new GetObjectRequest
        {
            BucketName = _bucket,
            Key = _prefix + key,
            ByteRange = new ByteRange(offset, offset + destination.Length - 1),
        };
        long start = Stopwatch.GetTimestamp();
        bool failed = false;
        try
        {
            using GetObjectResponse response = await _client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
            int total = 0;
            while (total < destination.Length)
            {
                int n = await response.ResponseStream.ReadAsync(destination[total..], cancellationToken).ConfigureAwait(false);
                if (n == 0) break;
                total += n;
            }
            return total;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            failed = true;
            throw new ObjectNotFoundException(key, e);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return 0; // offset at or past the object's end
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            _metrics?.S3Request(S3Operation.Get, start, failed);
        }
    }

    public async Task DeleteAsync(IReadOnlyList<string> keys, CancellationToken cancellationToken = default)
    {
        for (int start = 0; start < keys.Count; start += 1000)
        {
            var request = new DeleteObjectsRequest { BucketName = _bucket, Quiet = true, Objects = [] };
            for (int i = start; i < Math.Min(keys.Count, start + 1000); i++) request.Objects.Add(new KeyVersion { Key = _prefix + keys[i] });
            long began = Stopwatch.GetTimestamp();
            bool failed = true;
            try
            {
                DeleteObjectsResponse response = await _client.DeleteObjectsAsync(request, cancellationToken).ConfigureAwait(false);
                if (response.DeleteErrors is { Count: > 0 } errors)
                {
                    throw new IOException($"delete of {errors.Count} objects failed, first: {errors[0].Key}: {errors[0].Code} {errors[0].Message}");
                }
                failed = false;
            }
            finally
            {
                _metrics?.S3Request(S3Operation.Delete, began, failed);
            }
        }
    }

    public async IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = _prefix + prefix };
        while (true)
        {
            ListObjectsV2Response response = await ListPageAsync(request, cancellationToken).ConfigureAwait(false);
            foreach (S3Object o in response.S3Objects ?? [])
            {
                yield return new ObjectInfo(o.Key[_prefix.Length..], o.Size ?? 0);
            }
            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken)) yield break;
            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    /// <summary>One ListObjectsV2 page, measured (a yield cannot sit in a try with a catch or finally).</summary>
    private async Task<ListObjectsV2Response> ListPageAsync(ListObjectsV2Request request, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        bool failed = true;
        try
        {
            ListObjectsV2Response response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            failed = false;
            return response;
        }
        finally
        {
            _metrics?.S3Request(S3Operation.List, start, failed);
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
