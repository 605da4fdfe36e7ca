using System.Globalization;
using MlNetRnn.Onnx.Protobuf;

namespace MlNetRnn.Onnx.Import;

/// <summary>
/// Reads a tensor stored outside the model file (ONNX external data), refusing any location that is absolute or resolves
/// (through <c>..</c>, or a symbolic link to a file or to a folder on the way) outside the model's own folder.
/// </summary>
internal static class ExternalData
{
    public static byte[] Read(TensorProto tensor, string? modelDirectory)
    {
        if (modelDirectory is null)
            throw new InvalidDataException($"Initializer '{tensor.Name}' is stored in an external file, but the model was given as bytes; import it from its file instead.");
        string? location = null;
        long offset = 0, length = -1;
        foreach (var entry in tensor.ExternalData)
        {
            switch (entry.Key)
            {
                case "location": location = entry.Value; break;
                case "offset": offset = ParseNonNegative(tensor, entry); break;
                case "length": length = ParseNonNegative(tensor, entry); break;
            }
        }
        if (string.IsNullOrEmpty(location))
            throw new InvalidDataException($"Initializer '{tensor.Name}' is marked external but names no location.");
        if (Path.IsPathRooted(location))
            throw new InvalidDataException($"External data location '{location}' of initializer '{tensor.Name}' is an absolute path; ONNX external data must be relative to the model's folder. Refusing to read it.");
        // Compare real paths: every symbolic link on the way (a linked sub-folder as much as a linked file) is resolved first.
        string root = RealPath(Path.GetFullPath(modelDirectory));
        string path = RealPath(Path.GetFullPath(Path.Combine(root, location)));
        string prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!path.StartsWith(prefix, StringComparison.Ordinal))
            throw new InvalidDataException($"External data location '{location}' of initializer '{tensor.Name}' resolves to '{path}', outside the model's folder '{root}'; refusing to read it.");
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new InvalidDataException($"External data file '{path}' of initializer '{tensor.Name}' does not exist.");
        long available = info.Length - offset;
        if (length < 0)
            length = available;
        if (offset > info.Length || length > available)
            throw new InvalidDataException($"External data file '{path}' holds {info.Length} bytes; initializer '{tensor.Name}' needs {length} at offset {offset}. The file is truncated.");
        var bytes = new byte[length];
        using var stream = new FileStream(info.FullName, FileMode.Open, FileAccess.Read, FileShare.Read);
        stream.Seek(offset, SeekOrigin.Begin);
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>The path with every symbolic link along it resolved (components that do not exist are kept as written).</summary>
    private static string RealPath(string fullPath)
    {
        string root = Path.GetPathRoot(fullPath) ?? string.Empty;
        string current = root;
        foreach (var part in fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            string next = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.Exists && info.LinkTarget is not null)
                next = Path.GetFullPath(info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? next);
            current = next;
        }
        return current;
    }

    private static long ParseNonNegative(TensorProto tensor, StringStringEntryProto entry) =>
        long.TryParse(entry.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new InvalidDataException($"External data '{entry.Key}' of initializer '{tensor.Name}' is '{entry.Value}', not a non-negative integer.");
}
