using System.Globalization;
using MlNetRnn.Onnx.Protobuf;

namespace MlNetRnn.Onnx;

/// <summary>
/// Reads a tensor stored outside the model file (ONNX external data), refusing any location that is absolute or resolves
/// (through <c>..</c> or a symbolic link) outside the model's own folder.
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
        string root = Path.GetFullPath(modelDirectory);
        string path = Inside(root, location, tensor.Name);
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            var target = info.ResolveLinkTarget(returnFinalTarget: true)
                ?? throw new InvalidDataException($"External data '{location}' of initializer '{tensor.Name}' is a broken link.");
            Inside(root, target.FullName, tensor.Name);
            info = new FileInfo(target.FullName);
        }
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

    private static string Inside(string root, string location, string tensorName)
    {
        if (Path.IsPathRooted(location) && !location.StartsWith(root, StringComparison.Ordinal))
            throw new InvalidDataException($"External data location '{location}' of initializer '{tensorName}' is an absolute path outside the model's folder '{root}'; refusing to read it.");
        string full = Path.GetFullPath(Path.Combine(root, location));
        string prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(prefix, StringComparison.Ordinal))
            throw new InvalidDataException($"External data location '{location}' of initializer '{tensorName}' resolves to '{full}', outside the model's folder '{root}'; refusing to read it.");
        return full;
    }

    private static long ParseNonNegative(TensorProto tensor, StringStringEntryProto entry) =>
        long.TryParse(entry.Value, NumberStyles.None, CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new InvalidDataException($"External data '{entry.Key}' of initializer '{tensor.Name}' is '{entry.Value}', not a non-negative integer.");
}
