{-# LANGUAGE DataKinds #-}
{-# LANGUAGE DeriveGeneric #-}
{-# LANGUAGE DerivingVia #-}
{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}

-- | The kit's tests: every vector of cabi/testdata/vectors.json byte for byte, the decoder's
-- limits and errors, the classes and records, the struct rule of cabi/testdata/structs.json,
-- the exception records (standard names, attributes, text, frames), exported functions called
-- in-process through real boxes (scratch-buffer protocol, allocation counters), and the
-- conformance guest's errors of ordinary code against cabi/conformance/errors.json.
--
-- Usage: virgil-haskell-test [vectors.json [structs.json [errors.json [edges.json]]]]
module Main (main) where

import qualified Conformance as C
import Control.Exception
import Control.Monad (forM, forM_, unless, when)
import qualified Data.ByteString as BS
import qualified Data.ByteString.Builder as B
import qualified Data.ByteString.Lazy as BL
import Data.Char (intToDigit)
import Data.IORef
import Data.Int (Int64, Int8)
import qualified Data.Map.Strict as M
import Data.Proxy (Proxy (..))
import Data.Text (Text)
import qualified Data.Text as T
import qualified Data.Text.Encoding as TE
import qualified Data.Text.IO as TIO
import Data.Time.Clock (UTCTime)
import Data.Time.Clock.POSIX (posixSecondsToUTCTime)
import Data.Word (Word32, Word64, Word8)
import Foreign.C.Types (CSize (..))
import Foreign.Marshal.Alloc (allocaBytes, mallocBytes, free)
import Foreign.Marshal.Utils (copyBytes)
import Foreign.Ptr (Ptr, castPtr, nullPtr)
import Foreign.Storable (peekByteOff, pokeByteOff)
import GHC.Generics (Generic)
import GHC.IO.Exception (IOErrorType (..), IOException (..))
import GHC.Stack (HasCallStack)
import Json
import qualified Structs as S
import System.Directory (doesDirectoryExist, listDirectory)
import System.Environment (getArgs)
import System.FilePath ((</>))
import System.Exit (exitFailure)
import System.IO (hFlush, stdout)
import Virgil

foreign import ccall unsafe "virgil_realloc"
  c_virgil_realloc :: Ptr Word8 -> CSize -> IO (Ptr Word8)

foreign import ccall "virgil_stats"
  c_virgil_stats :: VirgilFunction

------------------------------------------------------------------------------------------------
-- The framework's names (Virgil.Exception.Names) are exactly those of the table of ABI.md
-- section 7, in its order.

frameworkNameTests :: T -> FilePath -> IO ()
frameworkNameTests ref path = do
  abi <- TIO.readFile path
  let section7 =
        takeWhile (not . isHeading) . drop 1 . dropWhile (/= "## 7. Framework exception names") $
          T.lines abi
      isHeading l = "## " `T.isPrefixOf` l || "### " `T.isPrefixOf` l
      nameOfRow l = case T.splitOn "`" l of
        (_ : n : _) | "| `virgil." `T.isPrefixOf` l -> [n]
        _ -> []
      documented = concatMap nameOfRow section7
  check ref "ABI.md section 7 lists names" (length documented >= 10) (show documented)
  checkEq ref "frameworkNames are the names of ABI.md section 7, in order" documented frameworkNames
  check ref "every framework name has the framework prefix" (all isFrameworkName frameworkNames) (show frameworkNames)

------------------------------------------------------------------------------------------------
-- The kit's layers (README, "Architecture"): every module of src/ has a layer, and imports of
-- the kit only from its own layer or the layers below.

-- | The layer of a kit module: 1 box and ABI, 2 wire codec, 3 exception records, 4 calling
-- convention and uncurrying, 5 entry points and manifest.
layerOf :: Text -> Maybe Int
layerOf m
  | m == "Virgil.Box" = Just 1
  | m == "Virgil.Msgpack" || "Virgil.Msgpack." `T.isPrefixOf` m = Just 2
  | m == "Virgil.Exception" || "Virgil.Exception." `T.isPrefixOf` m = Just 3
  | m == "Virgil.Call" = Just 4
  | m `elem` ["Virgil.Manifest", "Virgil.Export", "Virgil"] = Just 5
  | otherwise = Nothing

layerTests :: T -> FilePath -> IO ()
layerTests ref root = do
  files <- hsFiles root
  check ref "src/ holds the kit's modules" (length files >= 10) (show files)
  forM_ files $ \path -> do
    src <- TIO.readFile path
    let ls = T.lines src
        name = case [T.takeWhile (\c -> c /= ' ' && c /= '(') (T.drop 7 l) | l <- ls, "module " `T.isPrefixOf` l] of
          n : _ -> n
          [] -> T.pack path
        imports =
          [ T.takeWhile (\c -> c /= ' ' && c /= '(') (T.strip (stripQualified (T.drop 7 l)))
          | l <- ls
          , "import " `T.isPrefixOf` l
          ]
        stripQualified t = maybe t T.strip (T.stripPrefix "qualified " (T.strip t))
        kit = [i | i <- imports, i == "Virgil" || "Virgil." `T.isPrefixOf` i]
    case layerOf name of
      Nothing -> check ref (name <> ": has a layer") False path
      Just own -> forM_ kit $ \i -> case layerOf i of
        Nothing -> check ref (name <> " imports " <> i <> ", which has no layer") False path
        Just l -> check ref (name <> " (layer " <> T.pack (show own) <> ") may import " <> i <> " (layer " <> T.pack (show l) <> ")") (l <= own) path
  where
    hsFiles dir = do
      entries <- listDirectory dir
      fmap concat . forM entries $ \e -> do
        let p = dir </> e
        isDir <- doesDirectoryExist p
        if isDir then hsFiles p else pure [p | ".hs" `T.isSuffixOf` T.pack e]

------------------------------------------------------------------------------------------------
-- A very small test runner

data Counts = Counts {passed :: !Int, failed :: !Int}

type T = IORef Counts

check :: T -> Text -> Bool -> String -> IO ()
check ref name ok detail
  | ok = modifyIORef' ref (\c -> c {passed = passed c + 1})
  | otherwise = do
      modifyIORef' ref (\c -> c {failed = failed c + 1})
      TIO.putStrLn ("FAIL " <> name)
      unless (null detail) (putStrLn ("     " ++ detail))

checkEq :: (Eq a, Show a) => T -> Text -> a -> a -> IO ()
checkEq ref name want got = check ref name (want == got) ("want " ++ show want ++ "\n     got  " ++ show got)

section :: T -> Text -> IO () -> IO ()
section ref name body = do
  before <- readIORef ref
  body
  after <- readIORef ref
  TIO.putStrLn
    ( name <> ": " <> T.pack (show (passed after - passed before)) <> " passed, "
        <> T.pack (show (failed after - failed before)) <> " failed"
    )
  hFlush stdout

hex :: BS.ByteString -> String
hex = concatMap (\w -> [intToDigit (fromIntegral (w `div` 16)), intToDigit (fromIntegral (w `mod` 16))]) . BS.unpack

unhexBS :: Text -> BS.ByteString
unhexBS t = case typedValue (JObject [("bin", JString t)]) of
  Right (Bin b) -> b
  _ -> error ("bad hex " ++ T.unpack t)

encodeBS :: ToMsgpack a => a -> BS.ByteString
encodeBS = BL.toStrict . encodeToLazy

main :: IO ()
main = do
  args <- getArgs
  let arg i def = if length args > i then args !! i else def
      vectorsPath = arg 0 "../testdata/vectors.json"
      structsPath = arg 1 "../testdata/structs.json"
      errorsPath = arg 2 "../conformance/errors.json"
      edgesPath = arg 3 "../testdata/edges.json"
      abiPath = arg 4 "../ABI.md"
      srcPath = arg 5 "src"
  ref <- newIORef (Counts 0 0)
  section ref "vectors" (vectorTests ref vectorsPath)
  section ref "decoder" (decoderTests ref)
  section ref "classes" (classTests ref)
  section ref "records" (recordTests ref)
  section ref "structs.json" (structTests ref structsPath)
  section ref "exceptions" (exceptionTests ref)
  section ref "standard names, attributes, text" (standardTests ref)
  section ref "exports" (exportTests ref)
  section ref "edges.json (decoder, and through the conformance guest's echo)" (edgeTests ref edgesPath)
  section ref "limits and framework names" (limitTests ref)
  section ref "framework names against ABI.md section 7" (frameworkNameTests ref abiPath)
  section ref "layers (README, Architecture)" (layerTests ref srcPath)
  section ref "errors.json (conformance guest, in-process)" (errorsConformance ref errorsPath)
  Counts p f <- readIORef ref
  putStrLn ("total: " ++ show p ++ " passed, " ++ show f ++ " failed")
  when (f > 0) exitFailure

------------------------------------------------------------------------------------------------
-- Test vectors

vectorTests :: T -> FilePath -> IO ()
vectorTests ref path = do
  raw <- BS.readFile path
  doc <- either (\e -> fail ("vectors.json: " ++ e)) pure (parseJson (TE.decodeUtf8 raw))
  vectors <- case field "vectors" doc of
    Just (JArray vs) -> pure vs
    _ -> fail "vectors.json: no vectors"
  countRef <- newIORef (0 :: Int)
  forM_ vectors $ \v -> do
    let Just (JString name) = field "name" v
        Just (JString kind) = field "kind" v
        Just (JString hx) = field "hex" v
        canonical = case field "canonical_hex" v of
          Just (JString c) -> unhexBS c
          _ -> unhexBS hx
        input = unhexBS hx
        lbl = kind <> " " <> name
    want <- either (\e -> fail (T.unpack lbl ++ ": " ++ e)) pure (typedValue =<< maybe (Left "no value") Right (field "value" v))
    before <- failed <$> readIORef ref
    vectorCase ref lbl kind input canonical want
    after <- failed <$> readIORef ref
    when (after == before) (modifyIORef' countRef (+ 1))
  n <- readIORef countRef
  putStrLn ("  " ++ show n ++ " of " ++ show (length vectors) ++ " vectors pass byte for byte")
  check ref "all vectors read" (length vectors >= 80) (show (length vectors))

-- | Decoding the bytes gives the value; encoding the value gives the canonical bytes; and kinds
-- with their own record type go through it too.
vectorCase :: T -> Text -> Text -> BS.ByteString -> BS.ByteString -> Value -> IO ()
vectorCase ref lbl kind input canonical want = do
  let generic = if kind == "args" || kind == "envelope" then decodeTopLevel input else decodeValue input
      hasCanonical = canonical /= input
  -- 1. the generic value, and its encoding (the input when it was canonical)
  case generic of
    Left e -> check ref (lbl <> ": decode") False (T.unpack (renderDecodeError e))
    Right got -> do
      -- (a record with keys a reader must ignore keeps them as a generic value)
      unless (hasCanonical && kind /= "value") $ checkEq ref (lbl <> ": decode") want got
      checkEq ref (lbl <> ": re-encode decoded value") (hex (if hasCanonical && kind /= "value" then input else canonical)) (hex (encodeStrict got))
  -- 2. encoding the described value gives the canonical bytes
  checkEq ref (lbl <> ": encode") (hex canonical) (hex (encodeStrict want))
  -- 3. the kind's own type
  case kind of
    "args" -> case decodeArgs input of
      Right xs -> checkEq ref (lbl <> ": args") want (Array xs)
      Left e -> check ref (lbl <> ": args") False (show e)
    "envelope" -> typed (Proxy :: Proxy Envelope)
    "exception" -> typed (Proxy :: Proxy ExceptionRecord)
    "manifest" -> typed (Proxy :: Proxy Manifest)
    _ -> pure ()
  where
    typed :: forall a. (FromMsgpack a, ToMsgpack a, Eq a, Show a) => Proxy a -> IO ()
    typed _ = do
      let fromBytes = (either (Left . renderDecodeError) Right (if kind == "envelope" then decodeTopLevel input else decodeValue input)) >>= either (Left . renderFromError) Right . fromMsgpack
          fromWant = either (Left . renderFromError) Right (fromMsgpack want) :: Either Text a
      case (fromBytes, fromWant) of
        (Right (got :: a), Right w) -> do
          checkEq ref (lbl <> ": typed decode") w got
          checkEq ref (lbl <> ": typed encode") (hex canonical) (hex (encodeBS got))
        (a, b) -> check ref (lbl <> ": typed") False (show (fmap (const ()) a, fmap (const ()) b))

------------------------------------------------------------------------------------------------
-- Decoder

decoderTests :: T -> IO ()
decoderTests ref = do
  let failsWith name bytes what = case decodeValue bytes of
        Left e -> check ref name (what `T.isInfixOf` renderDecodeError e) (T.unpack (renderDecodeError e))
        Right v -> check ref name False ("decoded " ++ show v)
  failsWith "empty" "" "truncated input"
  failsWith "reserved 0xc1" "\xc1" "invalid byte 0xc1"
  failsWith "truncated str" "\xa5He" "truncated input: str wants 6 bytes, 3 remain"
  failsWith "truncated array" "\x92\x01" "truncated input"
  failsWith "huge array count" "\xdd\xff\xff\xff\xff" "truncated input: array of 4294967295 entries"
  failsWith "huge map count" "\xdf\xff\xff\xff\xff\x01" "truncated input: map of 4294967295 entries"
  failsWith "huge bin length" "\xc6\xff\xff\xff\xff\x00" "truncated input: bin wants"
  failsWith "truncated uint64" "\xcf\x00\x01" "truncated input"
  failsWith "truncated float" "\xcb\x00" "truncated input"
  failsWith "truncated ext header" "\xc7" "truncated input"
  failsWith "trailing bytes" "\x01\x02" "1 unexpected bytes after the value at byte 1"
  failsWith "invalid utf-8" "\xa1\xff" "invalid UTF-8"
  failsWith "bad timestamp length" "\xc7\x03\xff\x00\x00\x00" "invalid timestamp of 3 bytes"
  failsWith "bad timestamp nsec" "\xc7\x0c\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00" "nanoseconds"
  let nested n = BS.replicate n 0x91 <> "\xc0"
  checkEq ref "512 levels decode" (Right (iterate (\v -> Array [v]) Nil !! 512)) (decodeValue (nested 512))
  failsWith "513 levels" (nested 513) "nesting deeper than 512 levels"
  check ref "513 levels is a limit, not malformed" (either decodeLimit (const False) (decodeValue (nested 513))) ""
  check ref "truncation is malformed, not a limit" (either (not . decodeLimit) (const False) (decodeValue "\x92\x01")) ""
  failsWith "duplicate str keys" "\x82\xa1k\x01\xa1k\x02" "duplicate map key \"k\" at byte 0"
  failsWith "duplicate keys, one non-canonical" "\x82\xa1k\x01\xd9\x01k\x02" "duplicate map key \"k\""
  failsWith "duplicate int keys, one non-canonical" "\x83\x01\x01\x02\x02\xcd\x00\x01\x03" "duplicate map key 1"
  checkEq ref "int 1 and float 1.0 are two keys" (Right 2) ((\(Map kvs) -> length kvs) <$> decodeValue "\x82\x01\x01\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00\x02")
  failsWith "duplicate keys 20 deep in a big map" (encodeStrict (Map ([(Int i, Nil) | i <- [1 .. 100]] ++ [(Int 20, Nil)]))) "duplicate map key 20"
  failsWith "an array as a map key" "\x81\x91\x01\x01" "a map key is an array, not a scalar at byte 1"
  failsWith "a map as a map key" "\x81\x80\x01" "a map key is a map, not a scalar"
  failsWith "timestamp 64 with 2^30-1 nanoseconds" "\xd7\xff\xff\xff\xff\xfc\x00\x00\x00\x00" "nanoseconds 1073741823"
  checkEq ref "timestamp 96 with 999999999 nanoseconds" (Right (Time 5 999999999)) (decodeValue "\xc7\x0c\xff\x3b\x9a\xc9\xff\x00\x00\x00\x00\x00\x00\x00\x05")
  checkEq ref "args hold a value 512 deep" (Right 1) (length <$> decodeArgs (nested 513))
  check ref "args with a value 513 deep" (either (("nesting deeper" `T.isInfixOf`) . renderDecodeError) (const False) (decodeArgs (nested 514))) ""
  let deepMap = BS.concat (replicate 513 "\x81\xa1k") <> "\xc0"
  failsWith "513 maps" deepMap "nesting deeper than 512 levels"
  let argsFail name bytes what = case decodeArgs bytes of
        Left e -> check ref name (what `T.isInfixOf` renderDecodeError e) (T.unpack (renderDecodeError e))
        Right v -> check ref name False ("decoded " ++ show v)
  argsFail "args: nothing" "" "expected an argument array, got nothing"
  argsFail "args: a map" "\x81\xa1\x61\x01" "expected an argument array, got map"
  argsFail "args: garbage" "\xc1\xc1\xc1" "expected an argument array, got the invalid byte 0xc1"
  argsFail "args: trailing" "\x92\x01\x02\xff" "unexpected bytes"
  checkEq ref "args: none" (Right []) (decodeArgs "\x90")
  checkEq ref "args: array16" (Right [Int 1]) (decodeArgs "\xdc\x00\x01\x01")
  -- non-canonical inputs decode to the same value and re-encode canonically
  checkEq ref "int16 5" (Right (Int 5)) (decodeValue "\xd1\x00\x05")
  checkEq ref "uint64 1" (Right (Int 1)) (decodeValue "\xcf\x00\x00\x00\x00\x00\x00\x00\x01")
  checkEq ref "ext fixext4 type 5" (Right (Ext 5 "abcd")) (decodeValue "\xd6\x05\&abcd")
  checkEq ref "ext8 type 64" "c70340787979" (hex (encodeStrict (Ext 64 "xyy")))
  checkEq ref "ext round trip" (Right (Ext (-5) "xyz")) (decodeValue (encodeStrict (Ext (-5) "xyz")))

------------------------------------------------------------------------------------------------
-- Classes

roundTrip :: forall a. (ToMsgpack a, FromMsgpack a, Eq a, Show a) => T -> Text -> a -> String -> IO ()
roundTrip ref name val wantHex = do
  let bytes = encodeBS val
  checkEq ref (name <> ": encode") wantHex (hex bytes)
  checkEq ref (name <> ": toMsgpack agrees") (hex bytes) (hex (encodeStrict (toMsgpack val)))
  case decodeValue bytes of
    Left e -> check ref (name <> ": decode") False (show e)
    Right v -> checkEq ref (name <> ": decode") (Right val) (fromMsgpack v :: Either FromError a)

liftFails :: forall a. (FromMsgpack a, Show a) => T -> Text -> Proxy a -> Value -> Text -> IO ()
liftFails ref name _ v want = case fromMsgpack v :: Either FromError a of
  Left e -> checkEq ref name want (renderFromError e)
  Right val -> check ref name False ("lifted " ++ show val)

classTests :: T -> IO ()
classTests ref = do
  roundTrip ref "Int 1" (1 :: Int) "01"
  roundTrip ref "Int -33" (-33 :: Int) "d0df"
  roundTrip ref "Int max" (maxBound :: Int) "cf7fffffffffffffff"
  roundTrip ref "Int min" (minBound :: Int) "d38000000000000000"
  roundTrip ref "Int64 -2^31-1" (-2147483649 :: Int64) "d3ffffffff7fffffff"
  roundTrip ref "Int8 -128" (-128 :: Int8) "d080"
  roundTrip ref "Word64 max" (maxBound :: Word64) "cfffffffffffffffff"
  roundTrip ref "Word8 200" (200 :: Word8) "ccc8"
  roundTrip ref "Integer 2^64-1" (18446744073709551615 :: Integer) "cfffffffffffffffff"
  roundTrip ref "Integer -2^63" (-9223372036854775808 :: Integer) "d38000000000000000"
  roundTrip ref "Double 2" (2 :: Double) "cb4000000000000000"
  roundTrip ref "Float 1.5" (1.5 :: Float) "ca3fc00000"
  roundTrip ref "Bool" True "c3"
  roundTrip ref "unit" () "c0"
  roundTrip ref "Text" ("Zoë" :: Text) "a45a6fc3ab"
  roundTrip ref "String is str" ("hi" :: String) "a26869"
  roundTrip ref "Char" 'x' "a178"
  roundTrip ref "ByteString" ("\x00\xff" :: BS.ByteString) "c40200ff"
  roundTrip ref "empty ByteString" BS.empty "c400"
  roundTrip ref "[Int]" [1, 2, 3 :: Int] "93010203"
  roundTrip ref "[String]" ["a", "b" :: String] "92a161a162"
  roundTrip ref "Maybe Nothing" (Nothing :: Maybe Int) "c0"
  roundTrip ref "Maybe Just" (Just (5 :: Int)) "05"
  roundTrip ref "Map" (M.fromList [("b" :: Text, 2 :: Int), ("a", 1)]) "82a16101a16202"
  roundTrip ref "pair" (1 :: Int, "x" :: Text) "9201a178"
  roundTrip ref "triple" (1 :: Int, True, 'c') "9301c3a163"
  roundTrip ref "quadruple" (1 :: Int, 2 :: Int, 3 :: Int, 4 :: Int) "9401020304"
  roundTrip ref "UTCTime seconds" (posix 1700000000 0) "d6ff6553f100"
  roundTrip ref "UTCTime nanos" (posix 1700000000 123456789) "d7ff1d6f34546553f100"
  roundTrip ref "UTCTime before 1970" (posix (-1) 500) "c70cff000001f4ffffffffffffffff"
  roundTrip ref "Value" (Map [(Int 1, Array [Nil, Float32 1.5])]) "810192c0ca3fc00000"
  -- lifting rules
  checkEq ref "float from int" (Right (4 :: Double)) (fromMsgpack (Int 4))
  checkEq ref "float from float32" (Right (1.5 :: Double)) (fromMsgpack (Float32 1.5))
  checkEq ref "float32 from float" (Right (0.5 :: Float)) (fromMsgpack (Float 0.5))
  checkEq ref "list from nil" (Right ([] :: [Int])) (fromMsgpack Nil)
  checkEq ref "map from nil" (Right (M.empty :: M.Map Text Int)) (fromMsgpack Nil)
  liftFails ref "int from str" (Proxy :: Proxy Int) (Str "x") "expected int, got str"
  liftFails ref "int from float" (Proxy :: Proxy Int) (Float 2.5) "expected int, got float"
  liftFails ref "Int8 out of range" (Proxy :: Proxy Int8) (Int 300) "integer 300 out of range [-128, 127]"
  liftFails ref "Int out of range" (Proxy :: Proxy Int) (Int 18446744073709551615) "integer 18446744073709551615 out of range [-9223372036854775808, 9223372036854775807]"
  liftFails ref "Word negative" (Proxy :: Proxy Word) (Int (-1)) "integer -1 out of range [0, 18446744073709551615]"
  liftFails ref "str from bin" (Proxy :: Proxy Text) (Bin "x") "expected str, got bin"
  liftFails ref "bytes from str" (Proxy :: Proxy BS.ByteString) (Str "x") "expected bytes, got str"
  liftFails ref "String from nil" (Proxy :: Proxy String) Nil "expected str, got nil"
  liftFails ref "list element" (Proxy :: Proxy [Double]) (Array [Float 1, Str "x"]) "[1]: expected float, got str"
  liftFails ref "map value" (Proxy :: Proxy (M.Map Text Int)) (Map [(Str "k", Str "v")]) ".k: expected int, got str"
  liftFails ref "pair length" (Proxy :: Proxy (Int, Int)) (Array [Int 1]) "expected an array of 2 elements, got 1"
  liftFails ref "time from int" (Proxy :: Proxy UTCTime) (Int 1) "expected time, got int"
  -- Integer out of the MessagePack range cannot be encoded
  r <- try (evaluate (BS.length (encodeBS (2 ^ (64 :: Int) :: Integer))))
  check ref "Integer 2^64 does not encode" (either (\(EncodeError m) -> "does not fit" `T.isInfixOf` m) (const False) r) ""
  -- type names
  checkEq ref "type [float]" "[float]" (fromTypeName (Proxy :: Proxy [Double]))
  checkEq ref "type str?" "str?" (toTypeName (Proxy :: Proxy (Maybe Text)))
  checkEq ref "type {str: int}" "{str: int}" (toTypeName (Proxy :: Proxy (M.Map Text Int)))
  checkEq ref "type String" "str" (toTypeName (Proxy :: Proxy String))
  checkEq ref "type bytes" "bytes" (fromTypeName (Proxy :: Proxy BS.ByteString))
  checkEq ref "type uint" "uint" (fromTypeName (Proxy :: Proxy Word32))
  checkEq ref "type float32" "float32" (toTypeName (Proxy :: Proxy Float))
  checkEq ref "type time" "time" (toTypeName (Proxy :: Proxy UTCTime))
  checkEq ref "type any" "any" (toTypeName (Proxy :: Proxy Value))
  where
    posix :: Integer -> Integer -> UTCTime
    posix s ns = posixSecondsToUTCTime (fromRational (toRational s + toRational ns / 1000000000))

------------------------------------------------------------------------------------------------
-- Records

data Point = Point {x :: Double, y :: Double, label :: Maybe Text}
  deriving stock (Eq, Show, Generic)
  deriving (ToMsgpack, FromMsgpack) via (Record Point)

data Summary = Summary {summaryCount :: Int, summaryMeanValue :: Double}
  deriving stock (Eq, Show, Generic)
  deriving (ToMsgpack, FromMsgpack) via (PrefixedRecord "summary" Summary)

data Event = Event {eventName :: Text, eventAt :: UTCTime}
  deriving stock (Eq, Show, Generic)
  deriving (ToMsgpack, FromMsgpack) via (PrefixedRecord "event" Event)

data Renamed = Renamed {renamedCount :: Int, renamedMean :: Double}
  deriving stock (Eq, Show, Generic)
  deriving (ToMsgpack, FromMsgpack) via (RecordWith '[ 'StripPrefix "renamed", 'Rename "mean" "avg"] Renamed)

------------------------------------------------------------------------------------------------
-- structs.json: the struct rule

-- | Keys folded at every level, so that a record lowered with Haskell's spelling compares with
-- the file's snake_case value.
foldedValue :: Value -> Value
foldedValue (Map kvs) = Map [(foldKey k, foldedValue v) | (k, v) <- kvs]
  where
    foldKey (Str k) = Str (foldName k)
    foldKey k = k
foldedValue (Array xs) = Array (map foldedValue xs)
foldedValue v = v

structTests :: T -> FilePath -> IO ()
structTests ref path = do
  raw <- BS.readFile path
  doc <- either (\e -> fail (path ++ ": " ++ e)) pure (parseJson (TE.decodeUtf8 raw))
  cases <- case field "cases" doc of
    Just (JArray cs) -> pure cs
    _ -> fail (path ++ ": no cases")
  forM_ cases $ \c -> do
    let Just (JString name) = field "name" c
        Just (JString ty) = field "type" c
        Just (JString hx) = field "hex" c
        input = either (error . show) id (decodeValue (unhexBS hx))
        -- Limits is also lifted by its snake_case variant, which must give the same answer.
        variants = ty : ["LimitsSnake" | ty == "Limits"]
    forM_ variants $ \t -> do
      let lbl = t <> ": " <> name
          Just got = S.liftAs t input
      case (field "value" c, field "error" c) of
        (Just v, _) -> do
          want <- either (\e -> fail (T.unpack lbl ++ ": " ++ e)) pure (typedValue v)
          checkEq ref lbl (Right (foldedValue want)) (either (Left . renderFromError) (Right . foldedValue) got)
        (_, Just (JObject e)) -> do
          let Just (JString kind) = lookup "kind" e
              Just (JString fld) = lookup "field" e
          case got of
            Left err ->
              let msg = foldName (T.toLower (renderFromError err))
               in check ref lbl (foldName fld `T.isInfixOf` msg && (kind == "type" || kind `T.isInfixOf` msg)) (T.unpack (renderFromError err))
            Right v -> check ref lbl False ("lifted " ++ show v)
        _ -> check ref lbl False "a case without value or error"

recordTests :: T -> IO ()
recordTests ref = do
  roundTrip ref "record" (Point 1 2 Nothing) "83a178cb3ff0000000000000a179cb4000000000000000a56c6162656cc0"
  roundTrip ref "prefixed record" (Summary 3 2.5) "82a5636f756e7403a96d65616e56616c7565cb4004000000000000"
  checkEq ref "record type" "{\"x\": float, \"y\": float, \"label\": str?}" (toTypeName (Proxy :: Proxy Point))
  checkEq ref "prefixed record type" "{\"count\": int, \"meanValue\": float}" (fromTypeName (Proxy :: Proxy Summary))
  checkEq ref "unknown keys ignored, order free"
    (Right (Point 1 2 (Just "p")))
    (fromMsgpack (Map [(Str "label", Str "p"), (Str "extra", Int 9), (Str "y", Int 2), (Int 7, Nil), (Str "x", Float 1)]))
  checkEq ref "a missing optional field is Nothing" (Right (Point 1 2 Nothing)) (fromMsgpack (Map [(Str "x", Int 1), (Str "y", Int 2)]))
  liftFails ref "a missing required field names record and field" (Proxy :: Proxy Point) (Map [(Str "x", Int 1)]) "Point: missing field y"
  checkEq ref "nil is the zero record" (Right (Summary 0 0)) (fromMsgpack Nil)
  liftFails ref "missing key without a zero value" (Proxy :: Proxy Event) (Map [(Str "name", Str "e")]) "Event: missing field at"
  checkEq ref "prefixed record meets snake_case" (Right (Summary 3 2.5)) (fromMsgpack (Map [(Str "count", Int 3), (Str "mean_value", Float 2.5)]))
  checkEq ref "prefixed record meets Go spelling" (Right (Summary 3 2.5)) (fromMsgpack (Map [(Str "Count", Int 3), (Str "MeanValue", Float 2.5)]))
  liftFails ref "ambiguous folded keys" (Proxy :: Proxy Summary) (Map [(Str "count", Int 3), (Str "mean_value", Float 2.5), (Str "MeanValue", Float 1)]) "Summary: ambiguous keys for field meanValue: \"mean_value\", \"MeanValue\""
  checkEq ref "an exact key wins over folded ones" (Right (Summary 3 2.5)) (fromMsgpack (Map [(Str "count", Int 3), (Str "mean_value", Float 1), (Str "meanValue", Float 2.5), (Str "MeanValue", Float 1)]))
  checkEq ref "RecordWith: wire names" "{\"max_value\": int, \"min_value\": int, \"note\": str?}" (toTypeName (Proxy :: Proxy S.LimitsSnake))
  checkEq ref "RecordWith: Rename" "{\"count\": int, \"avg\": float}" (toTypeName (Proxy :: Proxy Renamed))
  checkEq ref "snakeCase" ["max_value", "http_code", "http_code", "x", "a1_b"] (map snakeCase ["maxValue", "httpCode", "HTTPCode", "x", "a1B"])
  checkEq ref "foldName" ["maxvalue", "maxvalue", "maxvalue"] (map foldName ["max_value", "MaxValue", "max-value"])
  liftFails ref "field of the wrong type" (Proxy :: Proxy Point) (Map [(Str "x", Str "one")]) ".x: expected float, got str"
  liftFails ref "record from array" (Proxy :: Proxy Point) (Array []) "expected map, got array"
  liftFails ref "nil without a zero record" (Proxy :: Proxy Event) Nil "expected map, got nil"
  checkEq ref "records in lists" "[{\"count\": int, \"meanValue\": float}]" (toTypeName (Proxy :: Proxy [Summary]))

------------------------------------------------------------------------------------------------
-- Exceptions

data Boom = Boom deriving (Show)

instance Exception Boom

-- An exception whose description itself fails.
data Treacherous = Treacherous deriving (Show)

instance Exception Treacherous where
  displayException _ = error "displayException failed"

recordOf :: IO a -> IO ExceptionRecord
recordOf action = do
  r <- try (action >> pure ())
  case r of
    Left e -> evaluate (toExceptionRecord e)
    Right () -> fail "no exception"

chainNames :: ExceptionRecord -> [Text]
chainNames r = excName r : maybe [] chainNames (excCause r)

level3 :: HasCallStack => IO ()
level3 = raise "Inner" "deep down"

level2 :: HasCallStack => IO ()
level2 = level3

exceptionTests :: T -> IO ()
exceptionTests ref = do
  r1 <- recordOf (evaluate (error "plain error" :: Int))
  checkEq ref "ErrorCall name" "ErrorCall" (excName r1)
  checkEq ref "ErrorCall message without location" "plain error" (excMessage r1)
  checkEq ref "ErrorCall language" "haskell" (excLanguage r1)
  check ref "ErrorCall frame from its location" (any (("test/Main.hs" `T.isSuffixOf`) . frameFile) (excTraceback r1) && all ((> 0) . frameLine) (excTraceback r1)) (show (excTraceback r1))
  r2 <- recordOf (evaluate (1 `div` (0 :: Int)))
  checkEq ref "ArithException" ("ZeroDivisionError", "divide by zero") (excName r2, excMessage r2)
  r3 <- recordOf (ioError (userError "nope"))
  checkEq ref "userError" ("Exception", "nope", []) (excName r3, excMessage r3, excAttributes r3)
  r4 <- recordOf (throwIO Boom)
  checkEq ref "user exception named by its type" "Boom" (excName r4)
  r5 <- recordOf level2
  checkEq ref "raise: name and message" ("Inner", "deep down") (excName r5, excMessage r5)
  checkEq ref "raise: frames oldest first, named by enclosing function"
    ["Main", "Main.level2", "Main.level3"]
    (map frameFunction (excTraceback r5))
  r6 <- recordOf (level2 `catch` \(e :: SomeException) -> raiseFrom "Outer" "wrapped" e)
  checkEq ref "raiseFrom: chain" ["Outer", "Inner"] (chainNames r6)
  checkEq ref "raiseFrom: own message only" "wrapped" (excMessage r6)
  r7 <- recordOf (throwCaused (userError "load failed") Boom)
  checkEq ref "throwCaused: chain" ["Exception", "Boom"] (chainNames r7)
  check ref "throwCaused: frames" (not (null (excTraceback r7))) ""
  r8 <- recordOf (wrapException (\_ -> userError "outer") (throwIO Boom))
  checkEq ref "wrapException: chain" ["Exception", "Boom"] (chainNames r8)
  r9 <- recordOf (annotate "second" (annotate "first" (throwIO Boom)))
  checkEq ref "annotate: notes" ("Boom", ["first", "second"]) (excName r9, excNotes r9)
  r10 <- recordOf (evaluate (virgilError "ValueError" "pure" :: Int))
  checkEq ref "virgilError" ("ValueError", "pure") (excName r10, excMessage r10)
  r11 <- recordOf (throwIO StackOverflow)
  checkEq ref "async exception" ("AsyncException", "stack overflow") (excName r11, excMessage r11)
  r12 <- recordOf (throwIO (exceptionRecord "KeyError" "'x'") {excLanguage = "python"})
  checkEq ref "a record passes through" ("KeyError", "python") (excName r12, excLanguage r12)
  -- parsing an ErrorCall location
  checkEq ref "parse prettyCallStack"
    [Frame "M" "src/M.hs" 20 3 , Frame "M.go" "src/M.hs" 12 5]
    (parseCallStackText "CallStack (from HasCallStack):\n  error, called at src/M.hs:12:5 in main:M\n  go, called at src/M.hs:20:3 in main:M")
  -- limits
  let chain n = foldr (\i c -> Just (exceptionRecord ("L" <> T.pack (show (i :: Int))) "") {excCause = c}) Nothing [1 .. n]
      Just long = chain 300
      cut = limitRecord long
  checkEq ref "chain cut at 256" 256 (length (chainNames cut))
  check ref "chain cut note" (any (any ("cause chain cut at 256 records; 44 more dropped" ==) . excNotes) (chainRecords cut)) ""
  let manyFrames = (exceptionRecord "Deep" "") {excTraceback = [Frame "f" "" i 0 | i <- [1 .. 5000]]}
      cutFrames = limitRecord manyFrames
  checkEq ref "traceback cut to the newest 4096" (4096, 905, 5000) (length (excTraceback cutFrames), frameLine (head (excTraceback cutFrames)), frameLine (last (excTraceback cutFrames)))
  checkEq ref "traceback cut note" ["traceback cut to the newest 4096 of 5000 frames"] (excNotes cutFrames)
  let Just c256 = chain 256
      Just c257 = chain 257
  checkEq ref "decode a chain of 256" (Right 256) (length . chainNames <$> (fromMsgpack (toMsgpack c256) :: Either FromError ExceptionRecord))
  check ref "reject a chain of 257" (either (("longer than 256" `T.isInfixOf`) . renderFromError) (const False) (fromMsgpack (toMsgpack c257) :: Either FromError ExceptionRecord)) ""
  check ref "reject 4097 frames" (either (("longer than 4096" `T.isInfixOf`) . renderFromError) (const False) (fromMsgpack (toMsgpack manyFrames) :: Either FromError ExceptionRecord)) ""
  check ref "a chain of 256 fits the nesting limit" (either (const False) (const True) (decodeValue (encodeStrict (toMsgpack c256)))) ""
  checkEq ref "record needs a name" (Left "exception record without a name") (either (Left . renderFromError) (Right . excName) (fromMsgpack (Map [(Str "message", Str "m")]) :: Either FromError ExceptionRecord))
  checkEq ref "missing keys are empty" (Right (exceptionRecord "N" "") {excLanguage = ""}) (fromMsgpack (Map [(Str "name", Str "N")]))
  -- attributes: canonical order, only when non-empty, a non-map ignored, at most 256
  let withAttrs as = (exceptionRecord "E" "m") {excAttributes = as}
      keysOf v = case v of
        Map kvs -> [k | (Str k, _) <- kvs]
        _ -> []
  checkEq ref "attributes written last, keys by UTF-8 bytes"
    ["name", "message", "language", "traceback", "cause", "attributes"]
    (keysOf (toMsgpack (withAttrs [("b", Int 1), ("a", Int 2)])))
  checkEq ref "attribute keys sorted by UTF-8 bytes" (Just ["Z", "a", "\xe9", "\x1F600"])
    (case toMsgpack (withAttrs [("\x1F600", Nil), ("\xe9", Nil), ("a", Nil), ("Z", Nil)]) of
       Map kvs -> Just [k | (Str n, Map as) <- kvs, n == "attributes", (Str k, _) <- as]
       _ -> Nothing)
  checkEq ref "no attributes, no key" ["name", "message", "language", "traceback", "cause"] (keysOf (toMsgpack (withAttrs [])))
  let rec kvs = Map ([(Str "name", Str "N")] ++ kvs)
  checkEq ref "a non-map attributes is ignored" (Right []) (excAttributes <$> fromMsgpack (rec [(Str "attributes", Array [Int 1])]))
  checkEq ref "nil attributes" (Right []) (excAttributes <$> fromMsgpack (rec [(Str "attributes", Nil)]))
  checkEq ref "attributes read in canonical order" (Right [("a", Int 1), ("b", Int 2)]) (excAttributes <$> fromMsgpack (rec [(Str "attributes", Map [(Str "b", Int 2), (Str "a", Int 1)])]))
  check ref "257 attributes rejected" (either (("more than 256" `T.isInfixOf`) . renderFromError) (const False) (fromMsgpack (rec [(Str "attributes", Map [(Str (T.pack (show i)), Nil) | i <- [1 .. 257 :: Int]])]) :: Either FromError ExceptionRecord)) ""
  checkEq ref "256 attributes read" (Right 256) (length . excAttributes <$> fromMsgpack (rec [(Str "attributes", Map [(Str (T.pack (show i)), Nil) | i <- [1 .. 256 :: Int]])]))
  let manyAttrs = limitRecord (withAttrs [(T.pack (show i), Nil) | i <- [1 .. 300 :: Int]])
  checkEq ref "writers cut attributes to 256, with a note" (256, ["attributes cut to the first 256 of 300"]) (length (excAttributes manyAttrs), excNotes manyAttrs)
  checkEq ref "lookupAttribute: exact, else folded" (Just (Int 2), Just (Int 1), Nothing)
    (lookupAttribute "errno" (withAttrs [("Errno", Int 1), ("errno", Int 2)]), lookupAttribute "file_name" (withAttrs [("FileName", Int 1)]), lookupAttribute "x" (withAttrs []))
  where
    chainRecords r = r : maybe [] chainRecords (excCause r)

------------------------------------------------------------------------------------------------
-- Standard names (ABI.md 7.1), attributes, context, text, foreign records

-- A user's exception type with attributes, joined to the kit's hierarchy.
data Quota = Quota {quotaCode :: Int, quotaReason :: Text}
  deriving stock (Show, Generic)

instance Exception Quota where
  toException = attributedToException
  fromException = attributedFromException

instance Attributed Quota where
  exceptionAttributes q = [("reason", toMsgpack (quotaReason q)), ("code", toMsgpack (quotaCode q))]

-- One that chooses its own name and takes its fields as attributes generically.
data BadInput = BadInput {field1 :: Int, otherField :: Text}
  deriving stock (Show, Generic)

instance Exception BadInput where
  toException = attributedToException
  fromException = attributedFromException

instance Attributed BadInput where
  exceptionAttributes = recordAttributes
  exceptionName _ = "ValueError"

contextLevel :: HasCallStack => IO ()
contextLevel = withContext "load config" (() <$ BS.readFile "/nonexistent-virgil-test/x")

standardTests :: T -> IO ()
standardTests ref = do
  let ioe t errno desc fname = IOError Nothing t "openFile" desc errno fname
      named lbl e want wantAttrs = do
        r <- recordOf (throwIO e)
        checkEq ref lbl (want, wantAttrs) (excName r, excAttributes r)
  named "NoSuchThing with errno" (ioe NoSuchThing (Just 2) "No such file or directory" (Just "/x")) "FileNotFoundError" [("errno", Int 2), ("filename", Str "/x")]
  named "NoSuchThing without errno" (ioe NoSuchThing Nothing "gone" Nothing) "FileNotFoundError" [("errno", Int 2)]
  named "AlreadyExists" (ioe AlreadyExists Nothing "exists" (Just "/y")) "FileExistsError" [("errno", Int 17), ("filename", Str "/y")]
  named "PermissionDenied" (ioe PermissionDenied Nothing "denied" Nothing) "PermissionError" [("errno", Int 13)]
  named "PermissionDenied, EPERM" (ioe PermissionDenied (Just 1) "not permitted" Nothing) "PermissionError" [("errno", Int 1)]
  named "InappropriateType: is a directory" (ioe InappropriateType Nothing "is a directory" (Just "/")) "IsADirectoryError" [("errno", Int 21), ("filename", Str "/")]
  named "InappropriateType: ENOTDIR" (ioe InappropriateType (Just 20) "Not a directory" Nothing) "NotADirectoryError" [("errno", Int 20)]
  named "InappropriateType, other" (ioe InappropriateType Nothing "not a socket" Nothing) "OSError" []
  named "EOF" (ioe EOF Nothing "end of file" Nothing) "EOFError" []
  named "UnsupportedOperation" (ioe UnsupportedOperation Nothing "unsupported" Nothing) "NotImplementedError" []
  named "UnsupportedOperation, ENOSYS" (ioe UnsupportedOperation (Just 38) "not implemented" Nothing) "NotImplementedError" [("errno", Int 38)]
  named "TimeExpired" (ioe TimeExpired Nothing "timeout" Nothing) "TimeoutError" []
  named "ResourceVanished, EPIPE" (ioe ResourceVanished (Just 32) "broken pipe" Nothing) "BrokenPipeError" [("errno", Int 32)]
  named "NoSuchThing, ECONNREFUSED" (ioe NoSuchThing (Just 111) "refused" Nothing) "ConnectionRefusedError" [("errno", Int 111)]
  named "ResourceExhausted, ENOSPC" (ioe ResourceExhausted (Just 28) "no space" (Just "/z")) "OSError" [("errno", Int 28), ("filename", Str "/z")]
  named "OtherError" (ioe OtherError Nothing "odd" Nothing) "OSError" []
  named "fail in IO" (userError "x") "Exception" []
  rMissing <- recordOf (BS.readFile "/nonexistent-virgil-test/x")
  checkEq ref "readFile of a missing file" ("FileNotFoundError", [("errno", Int 2), ("filename", Str "/nonexistent-virgil-test/x")]) (excName rMissing, excAttributes rMissing)
  check ref "its message is GHC's text" ("does not exist" `T.isInfixOf` excMessage rMissing) (T.unpack (excMessage rMissing))
  rDir <- recordOf (BS.readFile "/")
  checkEq ref "readFile of a directory" ("IsADirectoryError", [("errno", Int 21), ("filename", Str "/")]) (excName rDir, excAttributes rDir)
  forM_ [(Overflow, "OverflowError"), (DivideByZero, "ZeroDivisionError"), (RatioZeroDenominator, "ZeroDivisionError"), (Underflow, "ArithmeticError"), (LossOfPrecision, "ArithmeticError"), (Denormal, "ArithmeticError")] $ \(e, want) -> do
    r <- recordOf (throwIO e)
    checkEq ref ("ArithException " <> T.pack (show e)) (want, T.pack (displayException e)) (excName r, excMessage r)
  checkEq ref "errnoName" ["FileNotFoundError", "ConnectionRefusedError", "OSError"] (map errnoName [2, 111, 28])
  -- user types with attributes
  rq <- recordOf (throwIO (Quota 7 "disk full"))
  checkEq ref "Attributed: name, sorted attributes" ("Quota", [("code", Int 7), ("reason", Str "disk full")]) (excName rq, excAttributes rq)
  caught <- try (throwIO (Quota 1 "x"))
  checkEq ref "Attributed: still caught by its own type" (Right 1) (either (Right . quotaCode) (const (Left ())) (caught :: Either Quota ()))
  rb <- recordOf (throwIO (BadInput 3 "y"))
  checkEq ref "Attributed: own name, recordAttributes" ("ValueError", [("field1", Int 3), ("otherField", Str "y")]) (excName rb, excAttributes rb)
  rNoAttrs <- recordOf (throwIO Boom)
  checkEq ref "a plain user type: its type name, no attributes" ("Boom", []) (excName rNoAttrs, excAttributes rNoAttrs)
  -- withContext: a transparent level
  rc <- recordOf contextLevel
  checkEq ref "withContext: named after its cause" ["FileNotFoundError", "FileNotFoundError"] (chainNames rc)
  checkEq ref "withContext: its text, then the cause's" ("load config", "FileNotFoundError") (excMessage rc, maybe "" excName (excCause rc))
  checkEq ref "withContext: no attributes of its own, the cause keeps its" ([], Just (Int 2)) (excAttributes rc, excCause rc >>= lookupAttribute "errno")
  checkEq ref "withContext: its frame is the caller's" (Just "Main.contextLevel") (frameFunction <$> lastMaybe (excTraceback rc))
  check ref "withContext: no kit frames" (not (any isGlueFrame (concatMap excTraceback (chainRecords rc)))) (show (map excTraceback (chainRecords rc)))
  rcc <- recordOf (withContext "start" (withContext "load config" (throwIO DivideByZero)))
  checkEq ref "withContext twice" (["ZeroDivisionError", "ZeroDivisionError", "ZeroDivisionError"], ["start", "load config", "divide by zero"]) (chainNames rcc, map excMessage (chainRecords rcc))
  rcf <- recordOf (withContext "outer" (raise "" "nameless"))
  checkEq ref "withContext over a nameless level" ["", ""] (chainNames rcf)
  -- text
  checkEq ref "chainText" "start: load config: divide by zero" (chainText rcc)
  checkEq ref "chainText skips empty messages" "inner" (chainText ((exceptionRecord "A" "") {excCause = Just (exceptionRecord "B" "inner")}))
  checkEq ref "chainText of nameless messages is the name" "A" (chainText ((exceptionRecord "A" "") {excCause = Just (exceptionRecord "B" "")}))
  checkEq ref "levelText: message, else name" ("m", "A") (levelText (exceptionRecord "A" "m"), levelText (exceptionRecord "A" ""))
  checkEq ref "show of a record is its level's text" "load config" (show rc)
  ctx <- try contextLevel
  case ctx of
    Left c@(Context _ _ _) -> do
      checkEq ref "show of a Context is its text" "load config" (show c)
      let full = T.pack (displayException c)
      check ref "displayException: the whole story"
        (all (`T.isInfixOf` full) ["FileNotFoundError: load config [haskell]", "caused by: FileNotFoundError: /nonexistent-virgil-test/x", "errno = 2", "filename = \"/nonexistent-virgil-test/x\"", "test/Main.hs", "in Main.contextLevel"])
        (T.unpack full)
    Right () -> check ref "withContext throws" False ""
  vr <- try (level2 `catch` \(e :: SomeException) -> raiseFrom "Outer" "wrapped" e)
  case vr of
    Left (v :: VirgilException) -> do
      checkEq ref "show of a VirgilException is its message" "wrapped" (show v)
      let full = T.pack (displayException v)
      check ref "displayException of a VirgilException: every level and frame" (all (`T.isInfixOf` full) ["Outer: wrapped", "caused by: Inner: deep down", "in Main.level3"]) (T.unpack full)
    Right () -> check ref "raiseFrom throws" False ""
  -- foreign records read back as Haskell's own exceptions (7.1, both ways)
  let foreignRec name msg as = (exceptionRecord name msg) {excLanguage = "go", excAttributes = as}
      asIO r = fromException (foreignException r) :: Maybe IOException
  case asIO (foreignRec "FileNotFoundError" "open /x: no such file" [("errno", Int 2), ("filename", Str "/x")]) of
    Just e -> checkEq ref "foreign FileNotFoundError is isDoesNotExistError" (NoSuchThing, Just 2, Just "/x", "open /x: no such file") (ioe_type e, ioe_errno e, ioe_filename e, ioe_description e)
    Nothing -> check ref "foreign FileNotFoundError" False ""
  forM_ [("FileExistsError", AlreadyExists), ("PermissionError", PermissionDenied), ("IsADirectoryError", InappropriateType), ("EOFError", EOF), ("TimeoutError", TimeExpired), ("NotImplementedError", UnsupportedOperation), ("Exception", UserError)] $ \(n, t) ->
    checkEq ref ("foreign " <> n) (Just t) (ioe_type <$> asIO (foreignRec n "m" []))
  checkEq ref "foreign ConnectionRefusedError: the errno's IOException" (Just (Just 111)) (ioe_errno <$> asIO (foreignRec "ConnectionRefusedError" "refused" [("errno", Int 111)]))
  checkEq ref "foreign OSError without errno" (Just OtherError) (ioe_type <$> asIO (foreignRec "OSError" "m" []))
  checkEq ref "foreign ZeroDivisionError" (Just DivideByZero) (fromException (foreignException (foreignRec "ZeroDivisionError" "m" [])))
  checkEq ref "foreign OverflowError" (Just Overflow) (fromException (foreignException (foreignRec "OverflowError" "m" [])))
  checkEq ref "foreign KeyError stays a record" (Just "KeyError") (excName <$> fromException (foreignException (foreignRec "KeyError" "m" [])))
  forM_ ["FileNotFoundError", "FileExistsError", "PermissionError", "IsADirectoryError", "EOFError", "TimeoutError", "NotImplementedError", "Exception", "OverflowError", "ZeroDivisionError", "ConnectionRefusedError"] $ \n -> do
    r <- recordOf (throwIO (foreignException (foreignRec n "m" [("errno", Int 111) | n == "ConnectionRefusedError"])))
    checkEq ref ("name round trip " <> n) n (excName r)
  -- frames: glue never appears; the export's frame when there is none
  checkEq ref "isGlueFrame" [True, True, True, False] (map isGlueFrame [Frame "Virgil.Export.call" "" 0 0, Frame "Virgil" "x.hs" 1 1, Frame "f" "cabi/haskell/src/Virgil/Exception.hs" 3 3, Frame "Conformance.read_file" "examples/haskell-guest/Conformance.hs" 9 1])
  let site = Frame "M.read_file" "src/M.hs" 10 3
  checkEq ref "withUserFrame: a level without frames gets the export's" [site] (excTraceback (withUserFrame site (exceptionRecord "OSError" "m")))
  checkEq ref "withUserFrame: not for framework errors" [] (excTraceback (withUserFrame site (exceptionRecord "virgil.ArgumentError" "m")))
  checkEq ref "withUserFrame: not for a foreign record" [] (excTraceback (withUserFrame site ((exceptionRecord "E" "m") {excLanguage = "go"})))
  checkEq ref "withUserFrame: names the export line's anonymous frame" [Frame "M.read_file" "src/M.hs" 10 20, Frame "M.readFile" "src/M.hs" 30 5]
    (excTraceback (withUserFrame site ((exceptionRecord "E" "m") {excTraceback = [Frame "M" "src/M.hs" 10 20, Frame "M.readFile" "src/M.hs" 30 5]})))
  where
    chainRecords r = r : maybe [] chainRecords (excCause r)
    lastMaybe xs = if null xs then Nothing else Just (last xs)

------------------------------------------------------------------------------------------------
-- errors.json: the conformance guest's errors of ordinary code, through real boxes

errorsConformance :: T -> FilePath -> IO ()
errorsConformance ref path = do
  raw <- BS.readFile path
  doc <- either (\e -> fail (path ++ ": " ++ e)) pure (parseJson (TE.decodeUtf8 raw))
  let strings j = [t | JString t <- maybe [] (\(JArray xs) -> xs) j]
      markers = strings (field "glue_markers" doc)
      functions =
        [ ("read_file", C.read_file), ("load_config", C.load_config), ("parse_int", C.parse_int)
        , ("fail_plain", C.fail_plain), ("fail_attrs", C.fail_attrs)
        ]
  cases <- case field "cases" doc of
    Just (JArray cs) -> pure cs
    _ -> fail (path ++ ": no cases")
  check ref "errors.json: glue markers read" (length markers >= 5) (show markers)
  forM_ cases $ \c -> do
    let Just (JString name) = field "name" c
        Just (JString fn) = field "function" c
        Just (JArray argsJ) = field "args" c
    args <- either (\e -> fail (T.unpack name ++ ": " ++ e)) pure (traverse typedValue argsJ)
    case lookup fn functions of
      Nothing -> check ref (name <> ": the guest exports " <> fn) False ""
      Just f -> do
        (bytes, _) <- callBoxes f (encodeStrict (Array args)) 16384
        let envelope = either (Left . renderDecodeError) Right (decodeTopLevel bytes) >>= either (Left . renderFromError) Right . fromMsgpack
        case (field "result" c, field "error" c, envelope) of
          (Just r, _, Right (Ok got)) -> do
            want <- either fail pure (typedValue r)
            checkEq ref name want got
          (_, Just (JObject e), Right (Failure rec)) -> errorCase ref name markers e rec
          _ -> check ref name False (show envelope)

errorCase :: T -> Text -> [Text] -> [(Text, Json)] -> ExceptionRecord -> IO ()
errorCase ref name markers e rec = do
  let levels = chainRecordsOf rec
      attrsHold lbl r (JObject as) = forM_ as $ \(k, v) -> case typedValue v of
        Right want -> checkEq ref (name <> ": " <> lbl <> " attribute " <> k) (Just want) (lookupAttribute k r)
        Left err -> check ref (name <> ": typed value") False err
      attrsHold _ _ _ = pure ()
  forM_ (lookup "name" e) $ \(JString n) -> checkEq ref (name <> ": name") n (excName rec)
  forM_ (lookup "chain" e) $ \(JArray ns) -> checkEq ref (name <> ": chain") [n | JString n <- ns] (map excName levels)
  forM_ (lookup "attributes" e) (attrsHold "outermost" rec)
  forM_ (lookup "levels" e) $ \(JArray ls) -> forM_ (zip3 [0 :: Int ..] ls levels) $ \(i, JObject l, r) -> do
    let lbl = "level " <> T.pack (show i)
    forM_ (lookup "message" l) $ \(JString m) -> checkEq ref (name <> ": " <> lbl <> " message") m (excMessage r)
    forM_ (lookup "attributes" l) (attrsHold lbl r)
  forM_ (lookup "user_frame" e) $ \(JString u) ->
    case excTraceback rec of
      [] -> check ref (name <> ": user frame") False "no frames"
      frames -> check ref (name <> ": user frame") (foldName u `T.isInfixOf` foldName (T.toLower (frameFunction (last frames)))) (show frames)
  let glue = [f | r <- levels, f <- excTraceback r, m <- markers, m `T.isInfixOf` frameFunction f || m `T.isInfixOf` frameFile f]
  checkEq ref (name <> ": no glue frames") [] glue
  check ref (name <> ": frames name the guest's file") (all (\f -> "examples/haskell-guest/Conformance.hs" == frameFile f) (excTraceback rec)) (show (excTraceback rec))
  where
    chainRecordsOf r = r : maybe [] chainRecordsOf (excCause r)

------------------------------------------------------------------------------------------------
-- Exports, called in-process

addImpl :: Int64 -> Int64 -> IO Int64
addImpl a b = pure (a + b)

addF :: Function
addF = function "add" addImpl & withParams ["a", "b"] & withDoc "sum"
  where
    (&) = flip ($)

reply :: Function -> BS.ByteString -> IO (Either Text Envelope)
reply fn input = do
  out <- respond fn input
  pure (either (Left . renderDecodeError) Right (decodeTopLevel out) >>= either (Left . renderFromError) Right . fromMsgpack)

errorName :: Either Text Envelope -> Text
errorName (Right (Failure r)) = excName r
errorName other = T.pack (show other)

errorMessage :: Either Text Envelope -> Text
errorMessage (Right (Failure r)) = excMessage r
errorMessage other = T.pack (show other)

-- | Calls an exported function through real boxes: input copied into malloc'd memory, a scratch
-- buffer of the given capacity (or none), and returns (reply, whether it went into the scratch).
callBoxes :: VirgilFunction -> BS.ByteString -> Int -> IO (BS.ByteString, Bool)
callBoxes fn input capacity =
  allocaBytes 16 $ \inBox -> allocaBytes 16 $ \outBox -> do
    inPtr <- if BS.null input then pure nullPtr else mallocBytes (BS.length input)
    BS.useAsCStringLen input $ \(p, n) -> when (n > 0) (copyBytes inPtr (castPtr p) n)
    pokeByteOff inBox 0 (inPtr :: Ptr Word8)
    pokeByteOff inBox 8 (fromIntegral (BS.length input) :: Word64)
    scratch <- if capacity > 0 then mallocBytes capacity else pure nullPtr
    pokeByteOff outBox 0 (scratch :: Ptr Word8)
    pokeByteOff outBox 8 (fromIntegral capacity :: Word64)
    fn inBox outBox
    ptr <- peekByteOff outBox 0 :: IO (Ptr Word8)
    len <- peekByteOff outBox 8 :: IO Word64
    bytes <- if ptr == nullPtr then pure BS.empty else BS.packCStringLen (castPtr ptr, fromIntegral len)
    let inScratch = ptr == scratch && ptr /= nullPtr
    when (ptr /= nullPtr && not inScratch) (() <$ c_virgil_realloc ptr 0)
    when (scratch /= nullPtr) (free scratch)
    when (inPtr /= nullPtr) (free inPtr)
    pure (bytes, inScratch)

stats :: IO (Integer, Integer, Integer)
stats = do
  (bytes, _) <- callBoxes c_virgil_stats "\x90" 0
  case decodeTopLevel bytes of
    Right (Map [(Str "ok", Map [(Str "allocations", Int a), (Str "frees", Int f), (Str "live", Int l)])]) -> pure (a, f, l)
    other -> fail ("virgil_stats: " ++ show other)

exportTests :: T -> IO ()
exportTests ref = do
  let args = encodeStrict . Array
  r1 <- reply addF (args [Int 1, Int 2])
  checkEq ref "add" (Right (Ok (Int 3))) r1
  r2 <- reply addF (args [Int 1])
  checkEq ref "wrong count" ("virgil.ArgumentError", "add: expected 2 arguments, got 1") (errorName r2, errorMessage r2)
  r3 <- reply addF (args [Int 1, Str "two"])
  checkEq ref "wrong type" ("virgil.ArgumentError", "add: argument 2: expected int, got str") (errorName r3, errorMessage r3)
  r4 <- reply addF "\x92\x01"
  check ref "truncated" (errorName r4 == "virgil.ArgumentError" && "add: malformed arguments: truncated input" `T.isPrefixOf` errorMessage r4) (show r4)
  r5 <- reply addF ""
  checkEq ref "empty input" ("virgil.ArgumentError", "add: malformed arguments: expected an argument array, got nothing at byte 0") (errorName r5, errorMessage r5)
  let single = function "one" (\(n :: Int) -> n)
  r6 <- reply single (args [])
  checkEq ref "one argument, singular" "one: expected 1 argument, got 0" (errorMessage r6)
  -- pure functions and laziness: every exception is caught, even when it is hidden in the result
  r7 <- reply (function "lazy" (pure [1, error "hidden", 3 :: Int] :: IO [Int])) (args [])
  checkEq ref "lazy error in a list" ("ErrorCall", "hidden") (errorName r7, errorMessage r7)
  r8 <- reply (function "div" (div :: Int -> Int -> Int)) (args [Int 1, Int 0])
  checkEq ref "lazy ArithException" ("ZeroDivisionError", "divide by zero") (errorName r8, errorMessage r8)
  r9 <- reply (function "maybe" (Just (error "in a Maybe") :: Maybe Text)) (args [])
  checkEq ref "lazy error in a pure result" "ErrorCall" (errorName r9)
  r10 <- reply (function "bottom" (undefined :: IO ())) (args [])
  checkEq ref "undefined action" "ErrorCall" (errorName r10)
  r11 <- reply (function "record" (pure (Summary 1 (error "lazy field")) :: IO Summary)) (args [])
  checkEq ref "lazy record field" "ErrorCall" (errorName r11)
  r12 <- reply (function "big" (pure (2 ^ (70 :: Int)) :: IO Integer)) (args [])
  check ref "unencodable result is a ResultError" (errorName r12 == "virgil.ResultError" && "does not fit" `T.isInfixOf` errorMessage r12) (show r12)
  r13 <- reply (function "treacherous" (throwIO Treacherous :: IO ())) (args [])
  checkEq ref "an exception that cannot be described" "virgil.InternalError" (errorName r13)
  r14 <- reply (function "exit" (ioError (userError "x") :: IO ())) (args [])
  checkEq ref "IO errors" "Exception" (errorName r14)
  r15 <- reply (function "three" (\a b c -> pure (a + b + c :: Int) :: IO Int)) (args [Int 1, Int 2, Int 3])
  checkEq ref "three arguments" (Right (Ok (Int 6))) r15
  r16 <- reply (function "str" (\s -> "<" <> (s :: String) <> ">")) (args [Str "x"])
  checkEq ref "String argument and result" (Right (Ok (Str "<x>"))) r16
  r17 <- reply (function "rec" (\p -> p {label = Just "seen"})) (args [Map [(Str "x", Int 1), (Str "y", Int 0)]])
  checkEq ref "record argument" (Right (Ok (toMsgpack (Point 1 0 (Just "seen"))))) r17
  r18 <- reply (function "nothing" (pure () :: IO ())) (args [])
  checkEq ref "unit is nil" (Right (Ok Nil)) r18
  -- types and manifest
  let info = functionInfo addF
  checkEq ref "function info" (FunctionInfo "add" [Param "a" "int", Param "b" "int"] "int" "sum") info
  let m = manifestOf "lib" "0.1.0" [single, addF]
  checkEq ref "manifest sorted by name" ["add", "one"] (map infoName (manifestFunctions m))
  checkEq ref "manifest header" (1, "lib", "haskell", "0.1.0") (manifestAbi m, manifestLibrary m, manifestLanguage m, manifestVersion m)
  checkEq ref "default param names" [Param "arg1" "int"] (infoParams (functionInfo single))
  -- through real boxes: the scratch-buffer protocol and the allocation counters
  let addExport = exportFunction addF
  (_, _, live0) <- stats
  (b1, s1) <- callBoxes addExport "\x92\x01\x02" 64
  checkEq ref "boxes: reply in the scratch buffer" ("81a26f6b03", True) (hex b1, s1)
  (b2, s2) <- callBoxes addExport "\x92\x01\x02" 4
  checkEq ref "boxes: scratch too small, allocated" ("81a26f6b03", False) (hex b2, s2)
  (b3, s3) <- callBoxes addExport "\x92\x01\x02" 0
  checkEq ref "boxes: no scratch, allocated" ("81a26f6b03", False) (hex b3, s3)
  (b4, s4) <- callBoxes addExport "\x92\x01\x02" 5
  checkEq ref "boxes: reply exactly the scratch's size" ("81a26f6b03", True) (hex b4, s4)
  (b5, _) <- callBoxes addExport "" 64
  check ref "boxes: empty input is an ArgumentError" ("virgil.ArgumentError" `BS.isInfixOf` b5) (show b5)
  let big = BS.replicate (1024 * 1024) 7
      echoBytes = exportFunction (function "echo_bytes" (id :: BS.ByteString -> BS.ByteString))
  (b6, s6) <- callBoxes echoBytes (encodeStrict (Array [Bin big])) 16384
  checkEq ref "boxes: 1 MiB echo" (Right (Ok (Bin big)), False) (either (Left . renderDecodeError) Right (decodeTopLevel b6) >>= either (Left . renderFromError) Right . fromMsgpack, s6)
  let range = exportFunction (function "range" (\n -> [1 .. n :: Int]))
  (b9, s9) <- callBoxes range (encodeStrict (Array [Int 10000])) 64
  checkEq ref "boxes: a reply outgrowing the scratch buffer" (Right (Ok (toMsgpack [1 .. 10000 :: Int])), False) (either (Left . renderDecodeError) Right (decodeTopLevel b9) >>= either (Left . renderFromError) Right . fromMsgpack, s9)
  let late = exportFunction (function "late" (pure ([1 .. 5000] ++ [error "late error"]) :: IO [Int]))
  (b10, s10) <- callBoxes late "\x90" 64
  check ref "boxes: an error after the reply outgrew the scratch buffer" ("late error" `BS.isInfixOf` b10 && "ErrorCall" `BS.isInfixOf` b10) (show (BS.take 80 b10, s10))
  (b11, s11) <- callBoxes late "\x90" 0
  check ref "boxes: an error after the reply was allocated" ("late error" `BS.isInfixOf` b11 && not s11) (show (BS.take 80 b11))
  forM_ [1 .. 200 :: Int] $ \i -> callBoxes addExport "\x92\x01\x02" (if even i then 0 else 64)
  (a1, f1, live1) <- stats
  checkEq ref "boxes: no buffer leaked" live0 live1
  check ref "boxes: counters move" (a1 >= 100 && f1 >= 100 && a1 - f1 == live1) (show (a1, f1))
  (b7, _) <- callBoxes (manifest "lib" "0.1.0" [addF]) "garbage" 0
  case decodeTopLevel b7 >>= either (const (Left (malformed 0 "not a manifest"))) Right . fromMsgpack of
    Right (Ok v) -> checkEq ref "boxes: manifest ignores its input" (Right ["add"]) (map infoName . manifestFunctions <$> (fromMsgpack v :: Either FromError Manifest))
    other -> check ref "boxes: manifest" False (show other)
  (b8, _) <- callBoxes c_virgil_stats "" 0
  check ref "boxes: stats ignores its input" ("81a26f6b83" == take 10 (hex b8)) (hex b8)
  -- the encoder builds the same bytes as the generic encoder for an envelope
  checkEq ref "ok header" "81a26f6b" (hex (BL.toStrict (B.toLazyByteString (encodeMsgpack (Ok Nil)))) `seq` take 8 (hex (encodeBS (Ok Nil))))

------------------------------------------------------------------------------------------------
-- edges.json: the edges of the value mapping (ABI.md sections 5 and 11)

-- | Every case of cabi/testdata/edges.json, twice: decoded as a 'Value' and encoded back (or
-- refused: a limit with 'decodeLimit', anything else as malformed), and sent through the
-- conformance guest's exported @echo@ through real boxes (argument bytes @0x91@ followed by the
-- case's bytes; the reply is @{"ok": v}@ with v's canonical bytes, or the error it names).
edgeTests :: T -> FilePath -> IO ()
edgeTests ref path = do
  raw <- BS.readFile path
  doc <- either (\e -> fail (path ++ ": " ++ e)) pure (parseJson (TE.decodeUtf8 raw))
  cases <- case field "cases" doc of
    Just (JArray cs) -> pure cs
    _ -> fail (path ++ ": no cases")
  let echo = exportFunction C.echoF
  (_, _, live0) <- stats
  passing <- newIORef (0 :: Int)
  forM_ cases $ \c -> do
    let Just (JString name) = field "name" c
        Just (JString hx) = field "hex" c
        input = unhexBS hx
        canonical = case field "canonical_hex" c of
          Just (JString h) -> unhexBS h
          _ -> input
        wantError = case field "error" c of
          Just (JString e) -> Just e
          _ -> Nothing
    before <- failed <$> readIORef ref
    -- 1. the kit's decoder
    case (decodeValue input, wantError) of
      (Right v, Nothing) -> checkEq ref (name <> ": re-encoded") (hex canonical) (hex (encodeStrict v))
      (Right v, Just e) -> check ref (name <> ": refused") False ("want " ++ T.unpack e ++ ", decoded " ++ take 200 (show v))
      (Left err, Nothing) -> check ref (name <> ": decoded") False (T.unpack (renderDecodeError err))
      (Left err, Just e) -> checkEq ref (name <> ": refused as " <> e) (e == "virgil.LimitExceeded") (decodeLimit err)
    -- 2. through the guest's echo
    (out, _) <- callBoxes echo (BS.cons 0x91 input) 256
    case wantError of
      Nothing -> checkEq ref (name <> ": echo") ("81a26f6b" ++ hex canonical) (hex out)
      Just e -> do
        let got = either (Left . renderDecodeError) Right (decodeTopLevel out) >>= either (Left . renderFromError) Right . fromMsgpack
            want = if e == "virgil.LimitExceeded" then e else "virgil.ArgumentError"
        check ref (name <> ": echo refuses it as " <> want) (errorName got == want && "echo: " `T.isPrefixOf` errorMessage got) (show got)
    after <- failed <$> readIORef ref
    if after == before then modifyIORef' passing (+ 1) else TIO.putStrLn ("  edge case failing: " <> name)
  (_, _, live1) <- stats
  checkEq ref "edges: no buffer leaked by echo" live0 live1
  n <- readIORef passing
  putStrLn ("  " ++ show n ++ " of " ++ show (length cases) ++ " edges.json cases pass (decoder and echo)")
  check ref "all edge cases read" (length cases >= 37) (show (length cases))

------------------------------------------------------------------------------------------------
-- Limits and the framework names of ABI.md section 7

-- | A value whose encoding claims an array of 2^32 elements: the encoder must refuse it.
newtype Huge = Huge ()
  deriving (Show)

instance ToMsgpack Huge where
  toMsgpack _ = Nil
  encodeMsgpack _ = arrayHeader 0x100000000

foreign import ccall unsafe "virgil_hs_fail_allocations"
  c_fail_allocations :: Int -> IO ()

-- | Calls an exported function with a raw argument box @{ptr, len}@ (never read when the kit
-- does its job) and no scratch buffer.
callRaw :: VirgilFunction -> Ptr Word8 -> Word64 -> IO BS.ByteString
callRaw fn ptr len =
  allocaBytes 16 $ \inBox -> allocaBytes 16 $ \outBox -> do
    pokeByteOff inBox 0 ptr
    pokeByteOff inBox 8 len
    pokeByteOff outBox 0 (nullPtr :: Ptr Word8)
    pokeByteOff outBox 8 (0 :: Word64)
    fn inBox outBox
    p <- peekByteOff outBox 0 :: IO (Ptr Word8)
    n <- peekByteOff outBox 8 :: IO Word64
    bytes <- if p == nullPtr then pure BS.empty else BS.packCStringLen (castPtr p, fromIntegral n)
    when (p /= nullPtr) (() <$ c_virgil_realloc p 0)
    pure bytes

limitTests :: T -> IO ()
limitTests ref = do
  let refusesLength lbl b = do
        r <- try (evaluate (BL.length (B.toLazyByteString b)))
        case r of
          Left (LimitExceeded m) -> check ref lbl ("too long for MessagePack" `T.isInfixOf` m) (T.unpack m)
          Right n -> check ref lbl False ("encoded " ++ show n ++ " bytes")
  refusesLength "array of 2^32 elements refused" (arrayHeader 0x100000000)
  refusesLength "map of 2^32 entries refused" (mapHeader 0x100000000)
  refusesLength "str of 2^32 bytes refused" (strHeader 0x100000000)
  refusesLength "bin of 2^32 bytes refused" (binHeader 0x100000000)
  checkEq ref "array of 2^32 - 1 elements has a header" "ddffffffff" (hex (BL.toStrict (B.toLazyByteString (arrayHeader 0xffffffff))))
  checkEq ref "str of 2^32 - 1 bytes has a header" "dbffffffff" (hex (BL.toStrict (B.toLazyByteString (strHeader 0xffffffff))))
  let nameOf :: Exception e => e -> Text
      nameOf = excName . toExceptionRecord . toException
  checkEq ref "LimitExceeded is virgil.LimitExceeded" "virgil.LimitExceeded" (nameOf (LimitExceeded "x"))
  checkEq ref "a failed allocation is virgil.OutOfMemory" "virgil.OutOfMemory" (nameOf (AllocationFailed 10))
  checkEq ref "heap overflow is virgil.OutOfMemory" "virgil.OutOfMemory" (nameOf HeapOverflow)
  checkEq ref "an unencodable integer stays virgil.ResultError" "virgil.ResultError" (nameOf (EncodeError "x"))
  rt <- try (evaluate (BS.length (encodeStrict (Time 1 1000000000))))
  check ref "a timestamp of 1e9 nanoseconds does not encode" (either (\(EncodeError m) -> "nanoseconds 1000000000" `T.isInfixOf` m) (const False) rt) (show rt)
  checkEq ref "a timestamp of 999999999 nanoseconds encodes" "d7ffee6b27fc00000001" (hex (encodeStrict (Time 1 999999999)))
  -- through exported functions
  r1 <- reply (function "huge" (pure (Huge ()) :: IO Huge)) "\x90"
  check ref "a result of 2^32 elements is virgil.LimitExceeded" (errorName r1 == "virgil.LimitExceeded" && "too long" `T.isInfixOf` errorMessage r1) (show r1)
  let nested n = BS.replicate n 0x91 <> "\x01"
  r2 <- reply C.echoF (BS.cons 0x91 (nested 513))
  checkEq ref "echo of 513 levels" ("virgil.LimitExceeded", "echo: arguments: nesting deeper than 512 levels at byte 513") (errorName r2, errorMessage r2)
  r3 <- reply C.echoF (BS.cons 0x91 (nested 512))
  checkEq ref "echo of 512 levels" (Right (Ok (iterate (\v -> Array [v]) (Int 1) !! 512))) r3
  let deepMaps n = BS.concat (replicate n "\x81\xa1k") <> "\x01"
  r4 <- reply C.echoF (BS.cons 0x91 (deepMaps 513))
  checkEq ref "echo of 513 maps" "virgil.LimitExceeded" (errorName r4)
  r5 <- reply C.echoF "\x91\x82\xa1k\x01\xa1k\x02"
  checkEq ref "echo of duplicate keys" ("virgil.ArgumentError", "echo: malformed arguments: duplicate map key \"k\" at byte 1") (errorName r5, errorMessage r5)
  -- a record given a field twice is refused before it is lifted
  r6 <- reply (function "rec" (\p -> p {label = Just "seen"})) "\x91\x83\xa1x\x01\xa1y\x02\xa1x\x03"
  checkEq ref "a record field given twice" ("virgil.ArgumentError", "rec: malformed arguments: duplicate map key \"x\" at byte 1") (errorName r6, errorMessage r6)
  -- a raw box the host broke
  let add = exportFunction addF
  b1 <- callRaw add nullPtr 5
  check ref "in = {NULL, 5} is virgil.ProtocolError" ("virgil.ProtocolError" `BS.isInfixOf` b1 && "add: the argument box is NULL with a length of 5 bytes" `BS.isInfixOf` b1) (show b1)
  b2 <- BS.useAsCStringLen "\x92\x01\x02" $ \(p, _) -> callRaw add (castPtr p) 0x8000000000000000
  check ref "in of 2^63 bytes is virgil.ProtocolError" ("virgil.ProtocolError" `BS.isInfixOf` b2 && "more than any memory holds" `BS.isInfixOf` b2) (show b2)
  b3 <- callRaw add nullPtr 0
  check ref "in = {NULL, 0} is virgil.ArgumentError" ("virgil.ArgumentError" `BS.isInfixOf` b3) (show b3)
  -- out = NULL: the function returns without writing anything
  (_, _, live0) <- stats
  BS.useAsCStringLen "\x92\x01\x02" $ \(p, n) -> allocaBytes 16 $ \inBox -> do
    pokeByteOff inBox 0 (castPtr p :: Ptr Word8)
    pokeByteOff inBox 8 (fromIntegral n :: Word64)
    add inBox nullPtr
    exportFunction (function "range" (\k -> [1 .. k :: Int])) inBox nullPtr
  (_, _, live1) <- stats
  checkEq ref "out = NULL: nothing written, nothing leaked" live0 live1
  -- a reply that cannot be allocated: virgil.OutOfMemory in the scratch buffer when it fits
  -- there, else {NULL, 0}
  let range = exportFunction (function "range" (\k -> [1 .. k :: Int]))
  c_fail_allocations 1
  (o1, s1) <- callBoxes range (encodeStrict (Array [Int 10000])) 256
  (o2, _) <- callBoxes range (encodeStrict (Array [Int 10000])) 0
  (o3, s3) <- callBoxes add "\x92\x01\x02" 64
  c_fail_allocations 0
  check ref "an unallocatable reply is virgil.OutOfMemory in the scratch buffer" (s1 && "virgil.OutOfMemory" `BS.isInfixOf` o1 && "could not allocate" `BS.isInfixOf` o1) (show o1)
  checkEq ref "an unallocatable reply without scratch is {NULL, 0}" "" (hex o2)
  checkEq ref "a reply that fits the scratch needs no allocation" ("81a26f6b03", True) (hex o3, s3)
  (_, _, live2) <- stats
  checkEq ref "failed allocations leak nothing" live0 live2
