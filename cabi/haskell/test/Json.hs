{-# LANGUAGE OverloadedStrings #-}

-- | A small JSON reader, enough for cabi/testdata/vectors.json and cabi/conformance/cases.json
-- (there is no JSON library among GHC's boot packages). Objects keep their key order; numbers
-- keep their text, so that 64-bit integers and floats are read exactly; the typed JSON notation
-- of cabi/testdata/README.md is turned into 'Value's by 'typedValue'.
module Json
  ( Json (..)
  , parseJson
  , field
  , typedValue
  ) where

import Data.Bits (shiftL, (.|.))
import Data.Char (chr, digitToInt, isDigit, isHexDigit, isSpace)
import qualified Data.ByteString as BS
import Data.Text (Text)
import qualified Data.Text as T
import Data.Word (Word64)
import GHC.Float (castWord64ToDouble)
import Virgil.Msgpack

data Json
  = JNull
  | JBool Bool
  | JNumber Text
  | JString Text
  | JArray [Json]
  | JObject [(Text, Json)]
  deriving (Eq, Show)

-- | Parses one JSON document.
parseJson :: Text -> Either String Json
parseJson input = case value (skip input) of
  Right (j, rest) | T.null (skip rest) -> Right j
  Right (_, rest) -> Left ("trailing text: " ++ T.unpack (T.take 20 rest))
  Left e -> Left e

skip :: Text -> Text
skip = T.dropWhile isSpace

value :: Text -> Either String (Json, Text)
value t = case T.uncons t of
  Nothing -> Left "unexpected end of input"
  Just (c, rest)
    | c == '{' -> object (skip rest) []
    | c == '[' -> array (skip rest) []
    | c == '"' -> fmap (\(s, r) -> (JString s, r)) (string rest "")
    | c == 't', Just r <- T.stripPrefix "true" t -> Right (JBool True, r)
    | c == 'f', Just r <- T.stripPrefix "false" t -> Right (JBool False, r)
    | c == 'n', Just r <- T.stripPrefix "null" t -> Right (JNull, r)
    | c == '-' || isDigit c ->
        let (num, r) = T.span (\x -> isDigit x || x `elem` ("+-.eE" :: String)) t
         in Right (JNumber num, r)
    | otherwise -> Left ("unexpected character " ++ show c)

object :: Text -> [(Text, Json)] -> Either String (Json, Text)
object t acc = case T.uncons t of
  Just ('}', rest) | null acc -> Right (JObject [], rest)
  Just ('"', rest) -> do
    (k, r1) <- string rest ""
    r2 <- expect ':' (skip r1)
    (v, r3) <- value (skip r2)
    let acc' = (k, v) : acc
    case T.uncons (skip r3) of
      Just (',', r4) -> object (skip r4) acc'
      Just ('}', r4) -> Right (JObject (reverse acc'), r4)
      _ -> Left "expected , or } in an object"
  _ -> Left "expected a key in an object"

array :: Text -> [Json] -> Either String (Json, Text)
array t acc = case T.uncons t of
  Just (']', rest) | null acc -> Right (JArray [], rest)
  _ -> do
    (v, r1) <- value t
    let acc' = v : acc
    case T.uncons (skip r1) of
      Just (',', r2) -> array (skip r2) acc'
      Just (']', r2) -> Right (JArray (reverse acc'), r2)
      _ -> Left "expected , or ] in an array"

expect :: Char -> Text -> Either String Text
expect c t = case T.uncons t of
  Just (c', rest) | c == c' -> Right rest
  _ -> Left ("expected " ++ show c)

-- | The rest of a string after its opening quote; @acc@ holds the chunks read so far, reversed.
string :: Text -> Text -> Either String (Text, Text)
string t acc =
  let (plain, rest) = T.break (\c -> c == '"' || c == '\\') t
      acc' = acc <> plain
   in case T.uncons rest of
        Just ('"', r) -> Right (acc', r)
        Just ('\\', r) -> case T.uncons r of
          Just (e, r')
            | e == 'u' -> do
                (code, r'') <- hex4 r'
                if code >= 0xd800 && code < 0xdc00
                  then case T.stripPrefix "\\u" r'' of
                    Just r3 -> do
                      (low, r4) <- hex4 r3
                      let c = 0x10000 + ((code - 0xd800) `shiftL` 10 .|. (low - 0xdc00))
                      string r4 (T.snoc acc' (chr c))
                    Nothing -> Left "lone surrogate"
                  else string r'' (T.snoc acc' (chr code))
            | otherwise -> do
                c <- case e of
                  '"' -> Right '"'
                  '\\' -> Right '\\'
                  '/' -> Right '/'
                  'b' -> Right '\b'
                  'f' -> Right '\f'
                  'n' -> Right '\n'
                  'r' -> Right '\r'
                  't' -> Right '\t'
                  _ -> Left ("bad escape " ++ show e)
                string r' (T.snoc acc' c)
          Nothing -> Left "unterminated escape"
        _ -> Left "unterminated string"
  where
    hex4 s =
      let h = T.take 4 s
       in if T.length h == 4 && T.all isHexDigit h
            then Right (T.foldl' (\n c -> n * 16 + digitToInt c) 0 h, T.drop 4 s)
            else Left "bad \\u escape"

-- | A key of an object.
field :: Text -> Json -> Maybe Json
field k (JObject kvs) = lookup k kvs
field _ _ = Nothing

-- | A value in the typed JSON notation: @{"int": 5}@, @{"float": "nan"}@, @{"bin": "00ff"}@,
-- @{"map": [[k, v], ...]}@, @{"time": {"sec": s, "nsec": n}}@, ...
typedValue :: Json -> Either String Value
typedValue (JObject [(tag, body)]) = case (tag, body) of
  ("nil", JNull) -> Right Nil
  ("bool", JBool b) -> Right (Bool b)
  ("int", JNumber n) -> Int <$> readExact n
  ("float", j) -> Float <$> float j
  ("float32", j) -> Float32 . realToFrac <$> float j
  ("str", JString s) -> Right (Str s)
  ("bin", JString h) -> Bin <$> unhex h
  ("array", JArray xs) -> Array <$> traverse typedValue xs
  ("map", JArray ps) -> Map <$> traverse pair ps
  ("time", JObject _)
    | Just (JNumber s) <- field "sec" body
    , Just (JNumber n) <- field "nsec" body ->
        Time <$> (fromInteger <$> readExact s) <*> (fromInteger <$> readExact n)
  _ -> Left ("bad typed value " ++ show tag)
  where
    pair (JArray [k, v]) = (,) <$> typedValue k <*> typedValue v
    pair j = Left ("bad map pair " ++ show j)
    float (JString "nan") = Right (castWord64ToDouble (0x7ff8000000000000 :: Word64))
    float (JString "inf") = Right (1 / 0)
    float (JString "-inf") = Right (-1 / 0)
    float (JNumber n) = readDouble n
    float j = Left ("bad float " ++ show j)
typedValue j = Left ("not a typed value: " ++ show j)

readExact :: Text -> Either String Integer
readExact t = case reads (T.unpack t) of
  [(n, "")] -> Right n
  _ -> Left ("bad integer " ++ T.unpack t)

-- | Haskell's 'reads' wants digits around the point and no @+@ in the exponent.
readDouble :: Text -> Either String Double
readDouble t = case reads (fixup (T.unpack t)) of
  [(d, "")] -> Right d
  _ -> Left ("bad float " ++ T.unpack t)
  where
    fixup s = case break (`elem` ("eE" :: String)) s of
      (m, e : '+' : ex) -> withPoint m ++ [e] ++ ex
      (m, ex) -> withPoint m ++ ex
    withPoint m = if '.' `elem` m then m else m ++ ".0"

unhex :: Text -> Either String BS.ByteString
unhex t
  | odd (T.length t) || not (T.all isHexDigit t) = Left ("bad hex " ++ T.unpack t)
  | otherwise = Right (BS.pack (go (T.unpack t)))
  where
    go (a : b : rest) = fromIntegral (digitToInt a * 16 + digitToInt b) : go rest
    go _ = []
