using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetRnn.Trainers.Training;

/// <summary>
/// Everything a run needs to continue exactly where it stopped: the weights, the optimizer's moments and step count, libtorch's
/// random state, the early-stopping and schedule state, the history, and (mid-epoch) the batch position, partial loss and carried
/// state. Stored as one file: a magic, a JSON header, the tensors, and a SHA-256 of everything before it, so a torn or altered
/// file is recognised and skipped.
/// </summary>
internal sealed class TrainingCheckpoint
{
    private static readonly byte[] Magic = "MLNRCKP1"u8.ToArray();

    /// <summary>The header: every scalar of the state.</summary>
    public CheckpointHeader Header { get; init; } = new();

    /// <summary>Named tensors on the CPU, grouped by prefix: <c>weights/</c>, <c>optimizer/</c>, <c>best/</c>, <c>carried/</c>, <c>rng/</c>.</summary>
    public Dictionary<string, Tensor> Tensors { get; init; } = new();

    /// <summary>The tensors of one group, without the prefix.</summary>
    public Dictionary<string, Tensor> Group(string group) =>
        Tensors.Where(kv => kv.Key.StartsWith(group + "/", StringComparison.Ordinal)).ToDictionary(kv => kv.Key[(group.Length + 1)..], kv => kv.Value);

    /// <summary>Writes the checkpoint to a stream (magic, header length, header JSON, tensors, SHA-256 of all of it).</summary>
    public void WriteTo(Stream output)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            byte[] header = JsonSerializer.SerializeToUtf8Bytes(Header);
            writer.Write(header.Length);
            writer.Write(header);
            writer.Write(Tensors.Count);
            foreach (var (name, tensor) in Tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                WriteTensor(writer, name, tensor);
        }
        byte[] body = buffer.ToArray();
        output.Write(body);
        output.Write(SHA256.HashData(body));
    }

    /// <summary>Reads a checkpoint; null when the file is torn, truncated or altered (its digest does not match).</summary>
    public static TrainingCheckpoint? TryRead(byte[] bytes)
    {
        if (bytes.Length < Magic.Length + 4 + 32)
            return null;
        var body = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)) || !body[..Magic.Length].SequenceEqual(Magic))
            return null;
        using var reader = new BinaryReader(new MemoryStream(bytes, Magic.Length, body.Length - Magic.Length), Encoding.UTF8);
        int headerLength = reader.ReadInt32();
        var header = JsonSerializer.Deserialize<CheckpointHeader>(reader.ReadBytes(headerLength))
                     ?? throw new InvalidDataException("The checkpoint header is empty.");
        int count = reader.ReadInt32();
        var tensors = new Dictionary<string, Tensor>(count);
        for (int i = 0; i < count; i++)
        {
            var (name, tensor) = ReadTensor(reader);
            tensors[name] = tensor;
        }
        return new TrainingCheckpoint { Header = header, Tensors = tensors };
    }

    /// <summary>Disposes the tensors.</summary>
    public void DisposeTensors()
    {
        foreach (var t in Tensors.Values)
            t.Dispose();
    }

    private static void WriteTensor(BinaryWriter writer, string name, Tensor tensor)
    {
        using var scope = torch.NewDisposeScope();
        var cpu = tensor.detach().cpu().contiguous();
        writer.Write(name);
        writer.Write((int)cpu.dtype);
        writer.Write(cpu.shape.Length);
        foreach (long d in cpu.shape)
            writer.Write(d);
        switch (cpu.dtype)
        {
            case ScalarType.Float32:
                writer.Write(MemoryMarshal.AsBytes(cpu.data<float>().ToArray().AsSpan()));
                break;
            case ScalarType.Int64:
                writer.Write(MemoryMarshal.AsBytes(cpu.data<long>().ToArray().AsSpan()));
                break;
            case ScalarType.Byte:
                writer.Write(cpu.data<byte>().ToArray());
                break;
            default:
                throw new NotSupportedException($"Checkpoints hold float32, int64 and uint8 tensors; '{name}' is {cpu.dtype}.");
        }
    }

    private static (string Name, Tensor Tensor) ReadTensor(BinaryReader reader)
    {
        string name = reader.ReadString();
        var dtype = (ScalarType)reader.ReadInt32();
        int rank = reader.ReadInt32();
        var shape = new long[rank];
        for (int i = 0; i < rank; i++)
            shape[i] = reader.ReadInt64();
        long elements = shape.Aggregate(1L, (a, b) => a * b);
        Tensor tensor = dtype switch
        {
            ScalarType.Float32 => torch.tensor(MemoryMarshal.Cast<byte, float>(reader.ReadBytes(checked((int)elements * 4))).ToArray(), shape),
            ScalarType.Int64 => torch.tensor(MemoryMarshal.Cast<byte, long>(reader.ReadBytes(checked((int)elements * 8))).ToArray(), shape),
            ScalarType.Byte => torch.tensor(reader.ReadBytes(checked((int)elements)), shape),
            _ => throw new InvalidDataException($"The checkpoint tensor '{name}' has an unsupported type {dtype}."),
        };
        return (name, tensor.DetachFromDisposeScope());
    }
}

/// <summary>The scalar part of a <see cref="TrainingCheckpoint"/>.</summary>
internal sealed class CheckpointHeader
{
    /// <summary>Stage the checkpoint belongs to.</summary>
    public string Stage { get; set; } = "training";

    /// <summary>The settings and data digest the run was started with; a resume with others is refused.</summary>
    public SortedDictionary<string, string> Fingerprint { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Epochs fully done.</summary>
    public int Epoch { get; set; }

    /// <summary>Batches done in epoch <see cref="Epoch"/> + 1 (a checkpoint taken on cancellation); 0 at an epoch's end.</summary>
    public int BatchesDone { get; set; }

    /// <summary>Whether the stage finished (the weights are the final, restored ones).</summary>
    public bool Completed { get; set; }

    /// <summary>Loss sum of the partial epoch.</summary>
    public double PartialLossSum { get; set; }

    /// <summary>Items of the partial epoch.</summary>
    public long PartialCount { get; set; }

    /// <summary>Last batch loss of the partial epoch.</summary>
    public double PartialLastBatchLoss { get; set; }

    /// <summary>Training loss per finished epoch.</summary>
    public List<double> TrainLoss { get; set; } = new();

    /// <summary>Validation loss per finished epoch.</summary>
    public List<double> ValidationLoss { get; set; } = new();

    /// <summary>Early stopping's best monitored loss (as a string: JSON has no infinity).</summary>
    public string BestLoss { get; set; } = "Infinity";

    /// <summary>Early stopping's best epoch.</summary>
    public int BestEpoch { get; set; }

    /// <summary>The kept epoch reported in a completed stage's history.</summary>
    public int KeptEpoch { get; set; }

    /// <summary>Whether early stopping ended the stage.</summary>
    public bool StoppedEarly { get; set; }

    /// <summary>Whether the time budget ended the stage.</summary>
    public bool StoppedByTimeBudget { get; set; }

    /// <summary>The learning rate of the next epoch.</summary>
    public double LearningRate { get; set; }

    /// <summary>The schedule's own state.</summary>
    public double[] ScheduleState { get; set; } = Array.Empty<double>();

    /// <summary>Optimizer updates taken.</summary>
    public long OptimizerSteps { get; set; }

    /// <summary>Rows or tokens trained on.</summary>
    public long ItemsTrained { get; set; }

    /// <summary>Seconds spent in batches.</summary>
    public double StepSeconds { get; set; }

    /// <summary>Seconds since the stage started, over every resumed part.</summary>
    public double ElapsedSeconds { get; set; }
}
