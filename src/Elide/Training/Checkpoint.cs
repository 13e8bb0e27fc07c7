using System.Security.Cryptography;
using System.Text;

namespace Elide.Training;

/// <summary>A checkpoint that cannot be used: unreadable, corrupt, or written by a different architecture or recipe.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// Everything needed to continue a <see cref="Trainer"/> run exactly: recipe, position (epoch, batch in epoch,
/// optimizer step), weights, BatchNorm running statistics, momentum buffers, the standardization, the epoch's
/// running loss/accuracy sums and the history.
/// </summary>
/// <remarks>
/// <para><b>Random state.</b> Every random draw of a run is a pure function of the seed and a position: weights of
/// (seed); data order of (seed, epoch); augmentation of (seed, epoch, image); Stochastic Depth drops of (seed, step).
/// Saving the seed (in the recipe) and the position therefore restores the whole random state.</para>
/// <para><b>File format</b> (little-endian): magic "ELIDECKP", u32 format version, i64 payload length, the payload,
/// then the SHA-256 of the payload (32 bytes). The payload holds the recipe and architecture as JSON strings and the
/// tensors by name. Writing goes to a temporary file in the same directory that is flushed to disk and then renamed
/// over the target, so a kill leaves either the old or the new checkpoint, never a torn one.</para>
/// </remarks>
public sealed class Checkpoint
{
    /// <summary>The 8 bytes every checkpoint starts with.</summary>
    public static ReadOnlySpan<byte> Magic => "ELIDECKP"u8;

    /// <summary>The format version this code writes and reads.</summary>
    public const uint FormatVersion = 1;

    private const int HeaderBytes = 8 + 4 + 8;
    private const int ChecksumBytes = 32;

    /// <summary>The recipe (JSON of <see cref="TrainerOptions"/>).</summary>
    public required string RecipeJson { get; init; }

    /// <summary>The architecture identity (depth, width, channels, classes, image size, p_L) as canonical JSON.</summary>
    public required string ArchitectureJson { get; init; }

    /// <summary>Identity of the training data (name, counts, label hash) as canonical JSON.</summary>
    public required string DataJson { get; init; }

    /// <summary>Completed epochs.</summary>
    public required int Epoch { get; init; }

    /// <summary>Steps already done in the current epoch.</summary>
    public required int BatchInEpoch { get; init; }

    /// <summary>Optimizer steps done in total.</summary>
    public required long Step { get; init; }

    /// <summary>Σ loss over the current epoch's steps so far.</summary>
    public required double EpochLossSum { get; init; }

    /// <summary>Correct training predictions in the current epoch so far.</summary>
    public required long EpochCorrect { get; init; }

    /// <summary>Training images seen in the current epoch so far.</summary>
    public required long EpochSeen { get; init; }

    /// <summary>Per-channel mean of the input standardization.</summary>
    public required float[] Mean { get; init; }

    /// <summary>Per-channel standard deviation of the input standardization.</summary>
    public required float[] StandardDeviation { get; init; }

    /// <summary>Summaries of the completed epochs.</summary>
    public required IReadOnlyList<EpochSummary> History { get; init; }

    /// <summary>Named tensors: parameters by name, "&lt;layer&gt;.bn.running_mean/var", "momentum:&lt;parameter&gt;".</summary>
    public required IReadOnlyDictionary<string, float[]> Tensors { get; init; }

    /// <summary>The recipe as <see cref="TrainerOptions"/>.</summary>
    /// <exception cref="CheckpointException">The recipe JSON is unreadable.</exception>
    public TrainerOptions ReadRecipe()
    {
        try { return System.Text.Json.JsonSerializer.Deserialize<TrainerOptions>(RecipeJson) ?? throw new System.Text.Json.JsonException("the recipe is null"); }
        catch (System.Text.Json.JsonException e) { throw new CheckpointException($"the checkpoint's recipe is unreadable: {e.Message}", e); }
    }

    /// <summary>Writes the checkpoint atomically (temporary file, flush to disk, rename).</summary>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Save(string path)
    {
        var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(RecipeJson);
            w.Write(ArchitectureJson);
            w.Write(DataJson);
            w.Write(Epoch);
            w.Write(BatchInEpoch);
            w.Write(Step);
            w.Write(EpochLossSum);
            w.Write(EpochCorrect);
            w.Write(EpochSeen);
            WriteFloats(w, Mean);
            WriteFloats(w, StandardDeviation);
            w.Write(History.Count);
            foreach (var h in History)
            {
                w.Write(h.Epoch);
                foreach (double d in new[] { h.Loss, h.TrainAccuracy, h.ValidationAccuracy, h.LearningRate, h.Seconds, h.ImagesPerSecond }) w.Write(d);
            }
            w.Write(Tensors.Count);
            foreach (var (name, data) in Tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                w.Write(name);
                WriteFloats(w, data);
            }
        }
        byte[] body = payload.ToArray();
        string full = Path.GetFullPath(path);
        string temporary = full + $".tmp-{Environment.ProcessId}";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var header = new byte[HeaderBytes];
            Magic.CopyTo(header);
            BitConverter.TryWriteBytes(header.AsSpan(8), FormatVersion);
            BitConverter.TryWriteBytes(header.AsSpan(12), (long)body.Length);
            file.Write(header);
            file.Write(body);
            file.Write(SHA256.HashData(body));
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>Reads and verifies a checkpoint.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CheckpointException">Not a checkpoint, another format version, truncated, checksum mismatch, or malformed payload.</exception>
    public static Checkpoint Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint '{path}' does not exist", path);
        byte[] bytes = File.ReadAllBytes(path);
        string where = $"checkpoint '{path}'";
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new CheckpointException($"{where} is not an Elide training checkpoint (it does not start with \"ELIDECKP\")");
        if (bytes.Length < HeaderBytes)
            throw new CheckpointException($"{where} is truncated: {bytes.Length} bytes, shorter than the {HeaderBytes}-byte header");
        uint version = BitConverter.ToUInt32(bytes, 8);
        if (version != FormatVersion)
            throw new CheckpointException($"{where} has format version {version}; this build reads version {FormatVersion}");
        long length = BitConverter.ToInt64(bytes, 12);
        long expected = HeaderBytes + length + ChecksumBytes;
        if (length < 0 || bytes.Length < expected)
            throw new CheckpointException($"{where} is truncated: the header announces {expected} bytes, the file has {bytes.Length}");
        if (bytes.Length > expected)
            throw new CheckpointException($"{where} is corrupt: {bytes.Length - expected} unexpected bytes after the checksum");
        var body = bytes.AsSpan(HeaderBytes, (int)length);
        var stored = bytes.AsSpan(HeaderBytes + (int)length, ChecksumBytes);
        var actual = SHA256.HashData(body);
        if (!stored.SequenceEqual(actual))
            throw new CheckpointException($"{where} is corrupt: SHA-256 checksum mismatch (stored {Convert.ToHexString(stored)[..16]}…, " +
                                          $"computed {Convert.ToHexString(actual)[..16]}…)");
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, HeaderBytes, (int)length), Encoding.UTF8);
            string recipe = r.ReadString(), architecture = r.ReadString(), data = r.ReadString();
            int epoch = r.ReadInt32(), batch = r.ReadInt32();
            long step = r.ReadInt64();
            double lossSum = r.ReadDouble();
            long correct = r.ReadInt64(), seen = r.ReadInt64();
            var mean = ReadFloats(r);
            var std = ReadFloats(r);
            int historyCount = r.ReadInt32();
            var history = new List<EpochSummary>();
            for (int i = 0; i < historyCount; i++)
                history.Add(new EpochSummary(r.ReadInt32(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble(), r.ReadDouble()));
            int tensorCount = r.ReadInt32();
            var tensors = new Dictionary<string, float[]>(StringComparer.Ordinal);
            for (int i = 0; i < tensorCount; i++) tensors[r.ReadString()] = ReadFloats(r);
            return new Checkpoint
            {
                RecipeJson = recipe, ArchitectureJson = architecture, DataJson = data, Epoch = epoch, BatchInEpoch = batch, Step = step,
                EpochLossSum = lossSum, EpochCorrect = correct, EpochSeen = seen, Mean = mean, StandardDeviation = std,
                History = history, Tensors = tensors,
            };
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentException or OverflowException)
        {
            throw new CheckpointException($"{where} is malformed although its checksum matches: {e.Message}", e);
        }
    }

    private static void WriteFloats(BinaryWriter w, float[] data)
    {
        w.Write(data.Length);
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
    }

    private static float[] ReadFloats(BinaryReader r)
    {
        int count = r.ReadInt32();
        if (count < 0 || (long)count * 4 > r.BaseStream.Length - r.BaseStream.Position)
            throw new EndOfStreamException($"a tensor of {count} floats does not fit in the remaining payload");
        var data = new float[count];
        int read = r.Read(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()));
        if (read != count * 4) throw new EndOfStreamException("payload ends inside a tensor");
        return data;
    }
}
