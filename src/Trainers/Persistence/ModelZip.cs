using System.IO.Compression;

namespace MlNetRnn.Trainers.Persistence;

/// <summary>Reads the ONNX model a saved ML.NET chain embeds, so loaders can check "is this ours, for this task" before ML.NET's loader runs.</summary>
internal static class ModelZip
{
    /// <summary>
    /// Reads the ONNX bytes that ML.NET's OnnxTransformer stores in the model zip (entry <c>.../OnnxModel</c>,
    /// an Int32 length prefix followed by the model bytes).
    /// </summary>
    public static byte[] ExtractOnnx(string zipPath, string task)
    {
        using var zip = Open(zipPath);
        var entries = OnnxEntries(zip, zipPath);
        foreach (var entry in entries)
        {
            byte[] bytes = ReadOnnxEntry(entry, zipPath);
            // A pipeline may hold several ONNX steps: take the one this library exported for the task.
            if (entries.Count == 1 || IsTask(bytes, task))
                return bytes;
        }
        throw new InvalidDataException($"None of the {entries.Count} ONNX models in '{zipPath}' is an MlNetRnn {task} model.");
    }

    /// <summary>
    /// The task (metadata <c>task</c>: <c>forecasting</c>, <c>classification</c>, ...) of the first ONNX model in the zip that records
    /// one, so a caller can pick the loader before ML.NET's own loader runs.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a zip, holds no ONNX model, or none of its ONNX models records a task.</exception>
    public static string ReadTask(string zipPath)
    {
        using var zip = Open(zipPath);
        foreach (var entry in OnnxEntries(zip, zipPath))
        {
            try
            {
                if (OnnxModelInfo.Read(ReadOnnxEntry(entry, zipPath)).Metadata.TryGetValue(OnnxMetadataKeys.Task, out var task))
                    return task;
            }
            catch (InvalidDataException)
            {
                // Another library's ONNX step in the same pipeline may not parse as ours; keep looking.
            }
        }
        throw new InvalidDataException($"'{zipPath}' holds ONNX models, but none records an MlNetRnn task; it was not saved from an MlNetRnn model.");
    }

    private static ZipArchive Open(string zipPath)
    {
        try
        {
            return ZipFile.OpenRead(zipPath);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"'{zipPath}' is not an ML.NET model file (not a zip archive: {ex.Message}).", ex);
        }
    }

    private static List<ZipArchiveEntry> OnnxEntries(ZipArchive zip, string zipPath)
    {
        var entries = zip.Entries.Where(e => e.FullName.EndsWith("/OnnxModel", StringComparison.Ordinal) || e.FullName == "OnnxModel").ToList();
        if (entries.Count == 0)
            throw new InvalidDataException($"'{zipPath}' holds no ONNX model (no OnnxModel entry); it was not saved from an MlNetRnn model.");
        return entries;
    }

    private static byte[] ReadOnnxEntry(ZipArchiveEntry entry, string zipPath)
    {
        using var stream = entry.Open();
        using var reader = new BinaryReader(stream);
        try
        {
            int length = reader.ReadInt32();
            // Check the stored length against the entry's real size before allocating: a corrupt prefix must not ask for gigabytes.
            if (length <= 0 || length > entry.Length - sizeof(int))
                throw new InvalidDataException($"The ONNX model inside '{zipPath}' is truncated or corrupt (length prefix {length}, entry holds {entry.Length - sizeof(int)} bytes).");
            byte[] bytes = reader.ReadBytes(length);
            if (bytes.Length != length)
                throw new InvalidDataException($"The ONNX model inside '{zipPath}' is truncated ({bytes.Length} of {length} bytes).");
            return bytes;
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"The ONNX model inside '{zipPath}' is truncated.", ex);
        }
    }

    private static bool IsTask(byte[] onnx, string expected)
    {
        try
        {
            return OnnxModelInfo.Read(onnx).Metadata.TryGetValue(OnnxMetadataKeys.Task, out var task) && task == expected;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }
}
