using System;

namespace StreamLayer.MonoChecks
{
    /// <summary>Runs named checks, prints one line for each, and counts them.</summary>
    internal sealed class CheckRunner
    {
        public int Passed { get; private set; }

        public int Failed { get; private set; }

        public void Run(string name, Action check)
        {
            try
            {
                check();
                Passed++;
                Console.WriteLine("  [+] " + name);
            }
            catch (Exception e)
            {
                Fail(name, e.ToString());
            }
        }

        public void Fail(string name, string why)
        {
            Failed++;
            Console.WriteLine("  [-] " + name + ": " + why);
        }
    }

    /// <summary>A check that did not hold.</summary>
    internal sealed class CheckFailedException : Exception
    {
        public CheckFailedException(string message)
            : base(message)
        {
        }
    }

    internal static class Expect
    {
        public static void True(bool condition, string what)
        {
            if (!condition)
            {
                throw new CheckFailedException(what);
            }
        }

        public static void Equal<T>(T expected, T actual, string what)
        {
            if (!Equals(expected, actual))
            {
                throw new CheckFailedException(what + ": expected " + expected + ", got " + actual);
            }
        }

        public static TException Throws<TException>(Action action, string what)
            where TException : Exception
        {
            try
            {
                action();
            }
            catch (TException e)
            {
                return e;
            }
            catch (AggregateException e) when (e.InnerException is TException inner)
            {
                return inner;
            }

            throw new CheckFailedException(what + ": no " + typeof(TException).Name + " was thrown");
        }
    }
}
