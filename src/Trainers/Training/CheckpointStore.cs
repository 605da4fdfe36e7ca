using System.Globalization;

namespace MlNetRnn.Trainers.Training;

/// <summary>
/// A folder of training checkpoints: written atomically (temporary file, flush to disk, rename) at the end of every epoch and on
/// cancellation, the last two kept per stage; on resume, the newest one whose digest checks out is used and torn ones are skipped.
/// A checkpoint written with other settings or data is refused with the list of differences.
/// </summary>
internal sealed class CheckpointStore
{
    private const string Extension = ".ckpt";
    private readonly IReadOnlyDictionary<string, string> _fingerprint;
    private readonly Action<string>? _log;

    /// <param name="directory">The folder (created when missing).</param>
    /// <param name="fingerprint">Settings and data digest of this run.</param>
    /// <param name="resume">Whether to continue from the folder's checkpoints; otherwise the folder's old checkpoints are removed.</param>
    /// <param name="log">Receives notes (a torn checkpoint skipped, a resume).</param>
    /// <exception cref="IOException">The folder cannot be created.</exception>
    public CheckpointStore(string directory, IReadOnlyDictionary<string, string> fingerprint, bool resume, Action<string>? log)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory = Path.GetFullPath(directory);
        if (File.Exists(Directory))
            throw new IOException($"The checkpoint directory '{Directory}' is a file; give a folder.");
        System.IO.Directory.CreateDirectory(Directory);
        _fingerprint = fingerprint;
        Resume = resume;
        _log = log;
        if (!resume)
            foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "*" + Extension))
                File.Delete(file);
        RemoveStaleTemporaries();
    }

    /// <summary>The folder.</summary>
    public string Directory { get; }

    /// <summary>Whether runs continue from the folder's checkpoints.</summary>
    public bool Resume { get; }

    /// <summary>Writes a checkpoint atomically and keeps only the last two in-progress ones of its stage.</summary>
    public void Write(TrainingCheckpoint checkpoint)
    {
        var header = checkpoint.Header;
        header.Fingerprint = new SortedDictionary<string, string>(_fingerprint.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);
        string name = header.Completed
            ? $"{header.Stage}.complete{Extension}"
            : string.Create(CultureInfo.InvariantCulture, $"{header.Stage}.{header.Epoch:D6}.{header.BatchesDone:D6}{Extension}");
        string path = Path.Combine(Directory, name);
        try
        {
            AtomicFile.Write(path, checkpoint.WriteTo);
        }
        catch (IOException ex) when (IsDiskFull(ex))
        {
            throw new IOException($"No space left to write the checkpoint '{path}'. Free space on that disk or choose another checkpoint directory.", ex);
        }
        // A finished stage resumes from its complete checkpoint alone; in-progress ones are kept two deep for a torn newest.
        foreach (var old in InProgress(header.Stage).Skip(header.Completed ? 0 : 2))
            File.Delete(old);
    }

    /// <summary>
    /// The newest valid checkpoint of <paramref name="stage"/> (a completed one first), or null when resuming is off or there is none.
    /// </summary>
    /// <exception cref="InvalidOperationException">The checkpoint was written with other settings or data (the message lists them).</exception>
    public TrainingCheckpoint? Latest(string stage)
    {
        if (!Resume)
            return null;
        var candidates = new List<string>();
        string complete = Path.Combine(Directory, $"{stage}.complete{Extension}");
        if (File.Exists(complete))
            candidates.Add(complete);
        candidates.AddRange(InProgress(stage));
        foreach (var path in candidates)
        {
            TrainingCheckpoint? checkpoint;
            try
            {
                checkpoint = TrainingCheckpoint.TryRead(File.ReadAllBytes(path));
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or System.Text.Json.JsonException or ArgumentException)
            {
                checkpoint = null;
            }
            if (checkpoint is null)
            {
                _log?.Invoke($"checkpoint '{path}' is torn or altered (its digest does not match); skipping it");
                continue;
            }
            var differences = Differences(checkpoint.Header.Fingerprint, _fingerprint);
            if (differences.Count > 0)
            {
                checkpoint.DisposeTensors();
                throw new InvalidOperationException(
                    $"The checkpoint '{path}' was written by a run with other settings or data: {string.Join("; ", differences)}. " +
                    "Resume with the same settings and data, or start over without resuming (the folder's checkpoints are then replaced).");
            }
            return checkpoint;
        }
        return null;
    }

    /// <summary>Lists <c>name: checkpoint → now</c> for every setting that differs.</summary>
    public static List<string> Differences(IReadOnlyDictionary<string, string> saved, IReadOnlyDictionary<string, string> current)
    {
        var result = new List<string>();
        foreach (var key in saved.Keys.Union(current.Keys).OrderBy(k => k, StringComparer.Ordinal))
        {
            saved.TryGetValue(key, out var was);
            current.TryGetValue(key, out var now);
            if (!string.Equals(was, now, StringComparison.Ordinal))
                result.Add($"{key}: {was ?? "(absent)"} → {now ?? "(absent)"}");
        }
        return result;
    }

    private IEnumerable<string> InProgress(string stage) =>
        System.IO.Directory.EnumerateFiles(Directory, $"{stage}.0*{Extension}")
            .OrderByDescending(Path.GetFileName, StringComparer.Ordinal);

    private void RemoveStaleTemporaries()
    {
        // AtomicFile's temporaries of a writer killed before its rename: never valid, never reused.
        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, $".*{Extension}.*.tmp"))
        {
            try { File.Delete(file); } catch (IOException) { }
        }
    }

    private static bool IsDiskFull(IOException ex) => ex.HResult == 28 || ex.HResult == unchecked((int)0x80070070) ||
                                                       ex.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);
}
