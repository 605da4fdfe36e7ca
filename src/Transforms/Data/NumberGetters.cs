using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetRnn.Transforms.Data;

/// <summary>Reads a numeric column of any of the common ML.NET number types as a double.</summary>
internal static class NumberGetters
{
    /// <summary>The number types <see cref="AsDouble"/> reads.</summary>
    public static readonly DataViewType[] Types =
    {
        NumberDataViewType.Single, NumberDataViewType.Double, NumberDataViewType.Int32, NumberDataViewType.Int64, NumberDataViewType.UInt32,
    };

    /// <summary>A getter of <paramref name="column"/> (Single, Double, Int32, Int64 or UInt32) on <paramref name="row"/>, as a double.</summary>
    /// <exception cref="ArgumentException">The column has another type.</exception>
    public static Func<double> AsDouble(DataViewRow row, DataViewSchema.Column column) => column.Type switch
    {
        var t when t == NumberDataViewType.Single => Get<float>(row, column, v => v),
        var t when t == NumberDataViewType.Double => Get<double>(row, column, v => v),
        var t when t == NumberDataViewType.Int32 => Get<int>(row, column, v => v),
        var t when t == NumberDataViewType.Int64 => Get<long>(row, column, v => v),
        var t when t == NumberDataViewType.UInt32 => Get<uint>(row, column, v => v),
        _ => throw new ArgumentException($"The column '{column.Name}' is {SchemaValidation.Describe(column.Type)}; it must be a number (Single, Double, Int32, Int64 or UInt32)."),
    };

    private static Func<double> Get<T>(DataViewRow row, DataViewSchema.Column column, Func<T, double> convert)
    {
        var getter = row.GetGetter<T>(column);
        T value = default!;
        return () =>
        {
            getter(ref value);
            return convert(value);
        };
    }
}
