{-# LANGUAGE DataKinds #-}
{-# LANGUAGE DeriveGeneric #-}
{-# LANGUAGE DerivingVia #-}
{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}

-- | The Virgil conformance library in Haskell (cabi/ABI.md section 9), built as
-- @libconformance_haskell.so@ by @make -C cabi/haskell guest@.
--
-- Each function is ordinary Haskell; 'function' describes it for the manifest and a one-line
-- binding exports it under its C name. Besides the functions every guest has, this one exports
-- @lazy_error@ and @lazy_div@, whose results hide an @error@ call and a division by zero that
-- only strike when the result is forced: they come back to the host as exceptions.
--
-- The errors of ordinary code (@read_file@, @load_config@, @parse_int@, @fail_plain@,
-- @fail_attrs@) fail the way plain Haskell fails: 'BS.readFile' throws an 'IOException',
-- 'ioError' a 'userError', 'throwIO' an 'ArithException' or a user's own type; the kit names
-- them by the shared table of ABI.md section 7.1.
module Conformance where

import Control.Concurrent (threadDelay)
import Control.Exception (Exception (..), ArithException (Overflow), SomeException, catch, throwIO)
import Data.ByteString (ByteString)
import qualified Data.ByteString as BS
import Data.Function ((&))
import Data.Int (Int64)
import Data.Text (Text)
import qualified Data.Text as T
import GHC.Generics (Generic)
import GHC.Stack (HasCallStack)
import Text.Read (readMaybe)
import Virgil

-- | add(a, b): the sum, or OverflowError when it does not fit 64 bits.
addImpl :: Int64 -> Int64 -> IO Int64
addImpl a b
  | s > toInteger (maxBound :: Int64) || s < toInteger (minBound :: Int64) =
      raise "OverflowError" ("integer overflow: " <> showT a <> " + " <> showT b <> " does not fit 64 bits")
  | otherwise = pure (fromInteger s)
  where
    s = toInteger a + toInteger b

-- | greet(name): a pure function.
greetImpl :: Text -> Text
greetImpl name = "Hello, " <> name <> "!"

-- | divide(a, b): ZeroDivisionError when b is zero.
divideImpl :: Double -> Double -> IO Double
divideImpl a b
  | b == 0 = raise "ZeroDivisionError" "division by zero"
  | otherwise = pure (a / b)

-- | echo(v): any value, unchanged.
echoImpl :: Value -> Value
echoImpl = id

-- | echo_bytes(b): bytes, unchanged.
echoBytesImpl :: ByteString -> ByteString
echoBytesImpl = id

-- | The result of stats: a record, sent as {"count": int, "mean": float, "min": float,
-- "max": float}.
data Stats = Stats
  { statsCount :: Int
  , statsMean :: Double
  , statsMin :: Double
  , statsMax :: Double
  }
  deriving stock (Generic)
  deriving (ToMsgpack, FromMsgpack) via (PrefixedRecord "stats" Stats)

-- | stats(xs): ValueError for an empty list.
statsImpl :: [Double] -> IO Stats
statsImpl [] = raise "ValueError" "stats of an empty list"
statsImpl xs =
  pure
    Stats
      { statsCount = length xs
      , statsMean = sum xs / fromIntegral (length xs)
      , statsMin = minimum xs
      , statsMax = maximum xs
      }

-- | fail_chain(depth): ChainLevel{depth} caused by ChainLevel{depth-1} ... caused by
-- ChainLevel1, each raised in its own frame.
failChainImpl :: Int -> IO ()
failChainImpl depth
  | depth < 1 || depth > 100 =
      raise "ValueError" ("depth must be between 1 and 100, got " <> showT depth)
  | otherwise = chainLevel depth

-- | Level n runs level n - 1, which fails first, and fails in turn with it as the cause.
chainLevel :: HasCallStack => Int -> IO ()
chainLevel 1 = raise "ChainLevel1" "level 1"
chainLevel n =
  chainLevel (n - 1) `catch` \(below :: SomeException) ->
    raiseFrom ("ChainLevel" <> showT n) ("level " <> showT n) below

-- | crash(): fails the Haskell way, with 'error'; the host sees ErrorCall with its location.
crashImpl :: HasCallStack => IO ()
crashImpl = error "crash: the Haskell guest called error"

-- | sleep_ms(ms): 0 to 10,000 milliseconds.
sleepMsImpl :: Int -> IO ()
sleepMsImpl ms
  | ms < 0 || ms > 10000 = raise "ValueError" ("ms must be between 0 and 10000, got " <> showT ms)
  | otherwise = threadDelay (ms * 1000)

-- | lazy_error(): a list whose second element is an 'error' call, unevaluated when the function
-- returns. Forcing the result inside the call turns it into an ErrorCall exception.
lazyErrorImpl :: IO [Int]
lazyErrorImpl = pure [1, error "lazy_error: an error hidden in the result's second element", 3]

-- | lazy_div(a, b): @a `div` b@, left lazy: b == 0 throws ArithException (divide by zero) only
-- when the result is encoded.
lazyDivImpl :: Int -> Int -> Int
lazyDivImpl = div

-- | read_file(path): the file's bytes. A missing file is an 'IOException' that the kit names
-- FileNotFoundError (errno 2, filename = path); a directory IsADirectoryError (errno 21).
readFileImpl :: Text -> IO ByteString
readFileImpl path = BS.readFile (T.unpack path)

-- | load_config(path): read_file's failure wrapped in the context "load config": two levels,
-- both named after the cause.
loadConfig :: HasCallStack => Text -> IO ByteString
loadConfig path = withContext "load config" (readFileImpl path)

-- | parse_int(s): a decimal 64-bit integer. Not a number is a ValueError; a number outside 64
-- bits is 'Overflow' (OverflowError).
parseInt :: HasCallStack => Text -> IO Int64
parseInt s = case readMaybe (T.unpack s) :: Maybe Integer of
  Nothing -> raise "ValueError" ("invalid literal for a 64-bit integer: " <> showT s)
  Just n
    | n < toInteger (minBound :: Int64) || n > toInteger (maxBound :: Int64) -> throwIO Overflow
    | otherwise -> pure (fromInteger n)

-- | fail_plain(message): the plainest Haskell failure, a 'userError' (named Exception).
failPlain :: Text -> IO ()
failPlain message = ioError (userError (T.unpack message))

-- | A user's own error type. Its 'Exception' instance joins the kit's hierarchy of attributed
-- exceptions, so the record carries its fields as attributes (code, reason).
data QuotaError = QuotaError {code :: Int, reason :: String}
  deriving stock (Show, Generic)

instance Exception QuotaError where
  toException = attributedToException
  fromException = attributedFromException
  displayException e = "quota exceeded: " ++ reason e ++ " (code " ++ show (code e) ++ ")"

instance Attributed QuotaError where
  exceptionAttributes = recordAttributes

-- | fail_attrs(code, reason): throws a QuotaError.
failAttrs :: Int -> Text -> IO ()
failAttrs c r = throwIO (QuotaError c (T.unpack r))

showT :: Show a => a -> Text
showT = T.pack . show

------------------------------------------------------------------------------------------------
-- Descriptions (for the manifest) and exports: one line per function.

addF, greetF, divideF, echoF, echoBytesF, statsF, failChainF, crashF, sleepMsF, lazyErrorF, lazyDivF :: Function
readFileF, loadConfigF, parseIntF, failPlainF, failAttrsF :: Function
addF = function "add" addImpl & withParams ["a", "b"] & withDoc "add returns a + b, raising OverflowError when the sum does not fit 64 bits."
greetF = function "greet" greetImpl & withParams ["name"] & withDoc "greet returns a greeting for name."
divideF = function "divide" divideImpl & withParams ["a", "b"] & withDoc "divide returns a / b, raising ZeroDivisionError when b is zero."
echoF = function "echo" echoImpl & withParams ["v"] & withDoc "echo returns v unchanged."
echoBytesF = function "echo_bytes" echoBytesImpl & withParams ["b"] & withDoc "echo_bytes returns b unchanged."
statsF = function "stats" statsImpl & withParams ["xs"] & withDoc "stats summarizes xs; an empty list raises ValueError."
failChainF = function "fail_chain" failChainImpl & withParams ["depth"] & withDoc "fail_chain raises ChainLevel{depth} with a cause chain depth levels deep."
crashF = function "crash" crashImpl & withDoc "crash calls error; the host sees ErrorCall."
sleepMsF = function "sleep_ms" sleepMsImpl & withParams ["ms"] & withDoc "sleep_ms sleeps ms milliseconds (0 to 10000)."
lazyErrorF = function "lazy_error" lazyErrorImpl & withDoc "lazy_error returns a list whose second element is an error call."
lazyDivF = function "lazy_div" lazyDivImpl & withParams ["a", "b"] & withDoc "lazy_div returns a `div` b, lazily: b == 0 raises ZeroDivisionError."
readFileF = function "read_file" readFileImpl & withParams ["path"] & withDoc "read_file returns the file's bytes (Data.ByteString.readFile)."
loadConfigF = function "load_config" loadConfig & withParams ["path"] & withDoc "load_config reads path, its failure in the context \"load config\"."
parseIntF = function "parse_int" parseInt & withParams ["s"] & withDoc "parse_int parses a decimal 64-bit integer: ValueError, or OverflowError out of range."
failPlainF = function "fail_plain" failPlain & withParams ["message"] & withDoc "fail_plain fails with userError message."
failAttrsF = function "fail_attrs" failAttrs & withParams ["code", "reason"] & withDoc "fail_attrs throws QuotaError {code, reason}."

foreign export ccall add :: VirgilFunction
foreign export ccall greet :: VirgilFunction
foreign export ccall divide :: VirgilFunction
foreign export ccall echo :: VirgilFunction
foreign export ccall echo_bytes :: VirgilFunction
foreign export ccall stats :: VirgilFunction
foreign export ccall fail_chain :: VirgilFunction
foreign export ccall crash :: VirgilFunction
foreign export ccall sleep_ms :: VirgilFunction
foreign export ccall lazy_error :: VirgilFunction
foreign export ccall lazy_div :: VirgilFunction
foreign export ccall read_file :: VirgilFunction
foreign export ccall load_config :: VirgilFunction
foreign export ccall parse_int :: VirgilFunction
foreign export ccall fail_plain :: VirgilFunction
foreign export ccall fail_attrs :: VirgilFunction
foreign export ccall virgil_manifest :: VirgilFunction

add, greet, divide, echo, echo_bytes, stats, fail_chain, crash, sleep_ms, lazy_error, lazy_div, virgil_manifest :: VirgilFunction
read_file, load_config, parse_int, fail_plain, fail_attrs :: VirgilFunction
add = exportFunction addF
greet = exportFunction greetF
divide = exportFunction divideF
echo = exportFunction echoF
echo_bytes = exportFunction echoBytesF
stats = exportFunction statsF
fail_chain = exportFunction failChainF
crash = exportFunction crashF
sleep_ms = exportFunction sleepMsF
lazy_error = exportFunction lazyErrorF
lazy_div = exportFunction lazyDivF
read_file = exportFunction readFileF
load_config = exportFunction loadConfigF
parse_int = exportFunction parseIntF
fail_plain = exportFunction failPlainF
fail_attrs = exportFunction failAttrsF
virgil_manifest =
  manifest "conformance" "1.0.0"
    [ addF, greetF, divideF, echoF, echoBytesF, statsF, failChainF, crashF, sleepMsF, lazyErrorF, lazyDivF
    , readFileF, loadConfigF, parseIntF, failPlainF, failAttrsF
    ]
