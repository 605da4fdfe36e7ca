using Microsoft.ML;

namespace MlNetRnn.Trainers.Persistence;

/// <summary>
/// The temporary <c>.onnx</c> file a fitted model hands to ML.NET's OnnxTransformer (its Stream overload would copy the model to a temp
/// file it never deletes; with a file of our own, the fitted model owns its lifetime).
/// </summary>
internal static class TemporaryModelFile
{
    /// <summary>Writes the bytes atomically into the context's temp folder and returns the path.</summary>
    public static string Write(MLContext mlContext, byte[] onnx)
    {
        string path = Path.Combine(mlContext.TempFilePath ?? Path.GetTempPath(), $"mlnetrnn-{Guid.NewGuid():N}.onnx");
        AtomicFile.WriteAllBytes(path, onnx);
        return path;
    }

    /// <summary>
    /// Deletes the file if there is one. Best effort: where the OS refuses to delete a file that is still open (Windows, while ML.NET's
    /// session holds it), the file is left to the OS temp cleaner.
    /// </summary>
    public static void TryDelete(string? path)
    {
        if (path is null)
            return;
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
