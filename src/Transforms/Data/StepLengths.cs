using System.Globalization;

namespace MlNetRnn.Transforms.Data;

/// <summary>The one check of a length column's value against the steps its row's feature vector holds (training and scoring alike).</summary>
internal static class StepLengths
{
    /// <summary>The row's valid steps: <paramref name="length"/> when it is a whole number from 1 to <paramref name="available"/>.</summary>
    /// <exception cref="ArgumentException">It is not; the message names the row, both columns and both numbers.</exception>
    public static int Require(double length, int available, long row, string lengthColumn, string featureColumn)
    {
        if (!(length >= 1 && length <= available && length == Math.Floor(length)))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Row {row}: the length column '{lengthColumn}' is {length}, but the row's feature vector '{featureColumn}' holds {available} step(s); " +
                $"a length must be a whole number from 1 to {available}."));
        return (int)length;
    }
}
